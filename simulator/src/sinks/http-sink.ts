import { WardenError, retry } from "@warden/shared";
import { toLine, type EventSink, type SinkReport } from "./sink.js";

export class IngestHttpError extends WardenError {
  readonly status: number;

  constructor(url: string, status: number, body: string) {
    // 429 and 5xx are the receiver's trouble, worth another try; 4xx is ours.
    super(`POST ${url} answered ${status}: ${body.slice(0, 200)}`, {
      retriable: status === 429 || status >= 500,
    });
    this.status = status;
  }
}

/**
 * POSTs each batch as NDJSON (`application/x-ndjson`) to an ingest URL such as the all-in-one's
 * `/v1/events`, with `Authorization: Bearer <token>` when a token is configured. Ingest binds
 * each gateway token to one tenant (issue 16), so with `tenantTokens` a batch is split by
 * tenant and each part posted with its tenant's token. Network failures, 429 and 5xx are
 * retried with jittered back-off; other statuses stop the run.
 */
export function createHttpSink(options: {
  readonly url: string;
  readonly token: string | undefined;
  readonly tenantTokens?: ReadonlyMap<string, string>;
  readonly signal?: AbortSignal;
}): EventSink {
  let bytes = 0;
  let rejected = 0;
  const tokenOf = (tenant: string | undefined): string | undefined =>
    options.tenantTokens?.get(tenant ?? "default") ?? options.token;
  return {
    description: `POST ${options.url}`,
    async write(batch) {
      const bodies = new Map<string | undefined, string>();
      for (const generated of batch) {
        const token = tokenOf(generated.event.tenant);
        bodies.set(token, `${bodies.get(token) ?? ""}${toLine(generated)}\n`);
      }
      for (const [token, body] of bodies) await post(token, body);
    },
    close(): Promise<SinkReport> {
      return Promise.resolve({ bytes, rejected });
    },
  };

  async function post(token: string | undefined, body: string): Promise<void> {
    const headers: Record<string, string> = {
      "content-type": "application/x-ndjson",
    };
    if (token) headers["authorization"] = `Bearer ${token}`;
    bytes += Buffer.byteLength(body);
    const answer = await retry(
      async () => {
        let response: Response;
        try {
          response = await fetch(options.url, {
            method: "POST",
            headers,
            body,
          });
        } catch (error) {
          throw new WardenError(`POST ${options.url} failed`, {
            cause: error,
            retriable: true,
          });
        }
        const text = await response.text();
        if (!response.ok)
          throw new IngestHttpError(options.url, response.status, text);
        return text;
      },
      { ...(options.signal ? { signal: options.signal } : {}), attempts: 6 },
    );
    rejected += rejectedCount(answer);
  }
}

/** Warden's ingest answers `{accepted, rejected, …}`; other receivers may answer anything. */
function rejectedCount(answer: string): number {
  try {
    const parsed = JSON.parse(answer) as { rejected?: unknown };
    return typeof parsed.rejected === "number" ? parsed.rejected : 0;
  } catch {
    return 0;
  }
}
