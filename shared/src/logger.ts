import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger } from "pino";

/**
 * Paths redacted from every log line. Fixed at start-up (pino compiles them once).
 * Covers bearer tokens and Authorization headers, SASL/NATS/ClickHouse secrets, private
 * keys, and an event's credential secrets should a gateway wrongly send one.
 */
export const REDACTED_PATHS = [
  "authorization",
  "headers.authorization",
  "req.headers.authorization",
  "request.headers.authorization",
  "*.authorization",
  "authorization_header",
  "*.authorization_header",
  "delivery.authorization_header",
  "password",
  "*.password",
  "token",
  "*.token",
  "accessToken",
  "*.accessToken",
  "secret",
  "*.secret",
  "privateKey",
  "*.privateKey",
  "private_key",
  "*.private_key",
  "sasl.password",
  "credential.secret",
  "credential.token",
  "*.credential.secret",
  "*.credential.token",
  "jwk.d",
  "*.jwk.d",
] as const;

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly service: string;
  /** Where lines go; standard output by default. Tests pass a stream to read them back. */
  readonly destination?: pino.DestinationStream;
}

/** The one root logger of a process; components take `logger.child({ component })` once. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service },
      redact: { paths: [...REDACTED_PATHS], censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
