import { fromDeadLetterJson, type DeadLetterJson } from "@warden/ingest";
import { ConfigError, makeValidator, readEnv } from "@warden/shared";
import { ApiAnswerError, UsageError } from "../api-client.js";
import { toDeadLetter, type DeadLetter } from "./dead-letters.js";

/** The most the all-in-one hands out in one answer (GET /v1/dead-letters?limit=). */
const MAX_LETTERS = 10_000;

export interface AllInOneDlq {
  readonly url: string;
  readonly token: string | undefined;
}

/**
 * `WARDEN_DLQ_URL` points `warden dlq` at an all-in-one (`warden start`) instead of Kafka's
 * agent.audit.dlq; `WARDEN_DLQ_TOKEN` is a gateway token when the all-in-one has
 * INGEST_GATEWAY_TOKENS (it then sees only that gateway's dead letters). Undefined: Kafka.
 */
const optionalHttpUrl = makeValidator<string>((input) => {
  if (input === "") return "";
  const url = URL.canParse(input) ? new URL(input) : undefined;
  if (!url || !["http:", "https:"].includes(url.protocol))
    throw new Error(`an http(s) URL, got "${input}"`);
  return input.replace(/\/+$/u, "");
});

// The token never appears in an error, however it is wrong.
const optionalToken = makeValidator<string>((input) => {
  if (input !== "" && !/^[\x21-\x7e]{1,4096}$/u.test(input))
    throw new Error(
      "printable ASCII without spaces (the token itself is not shown)",
    );
  return input;
});

export function readAllInOneDlq(
  env: Record<string, string | undefined>,
): AllInOneDlq | undefined {
  try {
    const values = readEnv(env, {
      WARDEN_DLQ_URL: optionalHttpUrl({
        default: "",
        desc: "an all-in-one's URL (warden start) to read dead letters from instead of Kafka",
      }),
      WARDEN_DLQ_TOKEN: optionalToken({
        default: "",
        desc: "a gateway token of that all-in-one (when it has INGEST_GATEWAY_TOKENS)",
      }),
    });
    const url = values.WARDEN_DLQ_URL;
    const token = values.WARDEN_DLQ_TOKEN;
    if (url === "") return undefined;
    return { url, token: token === "" ? undefined : token };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

async function call(
  dlq: AllInOneDlq,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(`${dlq.url}${path}`, {
      ...init,
      headers: {
        ...(init.headers as Record<string, string> | undefined),
        ...(dlq.token ? { authorization: `Bearer ${dlq.token}` } : {}),
      },
      redirect: "error",
      signal: AbortSignal.timeout(30_000),
    });
  } catch (cause) {
    throw new Error(
      `cannot reach the all-in-one at ${dlq.url} (WARDEN_DLQ_URL)`,
      { cause },
    );
  }
  if (!response.ok)
    throw new ApiAnswerError(
      response.status,
      undefined,
      `the all-in-one answered ${response.status} to ${init.method ?? "GET"} ${path}`,
    );
  return response;
}

/** The all-in-one's dead letters (the newest 10,000), in the shape `warden dlq` shows. */
export async function readAllInOneDeadLetters(
  dlq: AllInOneDlq,
): Promise<DeadLetter[]> {
  const response = await call(dlq, `/v1/dead-letters?limit=${MAX_LETTERS}`);
  const records = (await response.json()) as DeadLetterJson[];
  return records.map((json) => toDeadLetter(fromDeadLetterJson(json)));
}

/** Posts the original bytes of `letters` to the all-in-one's ingest again, one line each. */
export async function resubmitToAllInOne(
  dlq: AllInOneDlq,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  await call(dlq, "/v1/events", {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: letters.map((letter) => letter.value.toString("utf8")).join("\n"),
  });
}
