import {
  fromDeadLetterJson,
  toDeadLetter,
  type DeadLetter,
  type DeadLetterJson,
} from "@warden/ingest";
import { ConfigError, makeValidator, readEnv } from "@warden/shared";
import { UsageError, apiRequest, type ApiConnection } from "../api-client.js";

/** The most the all-in-one hands out in one answer (GET /v1/dead-letters?limit=). */
const MAX_LETTERS = 10_000;

export type AllInOneDlq = ApiConnection;

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

const UNREACHABLE_HINT =
  "is warden start running, and is WARDEN_DLQ_URL right?";

/** The all-in-one's dead letters (the newest 10,000), in the shape `warden dlq` shows. */
export async function readAllInOneDeadLetters(
  dlq: AllInOneDlq,
): Promise<DeadLetter[]> {
  const records = (await apiRequest(dlq, {
    service: "all-in-one",
    method: "GET",
    path: "/v1/dead-letters",
    query: { limit: MAX_LETTERS },
    unreachableHint: UNREACHABLE_HINT,
  })) as DeadLetterJson[];
  return records.map((json) => toDeadLetter(fromDeadLetterJson(json)));
}

/** Posts the original bytes of `letters` to the all-in-one's ingest again, one line each. */
export async function resubmitToAllInOne(
  dlq: AllInOneDlq,
  letters: readonly DeadLetter[],
): Promise<void> {
  if (letters.length === 0) return;
  await apiRequest(dlq, {
    service: "all-in-one",
    method: "POST",
    path: "/v1/events",
    text: {
      contentType: "application/x-ndjson",
      body: letters.map((letter) => letter.value.toString("utf8")).join("\n"),
    },
    unreachableHint: UNREACHABLE_HINT,
  });
}
