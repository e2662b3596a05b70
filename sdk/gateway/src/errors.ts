/**
 * Errors the SDK throws. `retriable` says whether trying again can help (the shipper
 * spools and retries those); subclasses carry typed fields, not data baked into text.
 * Mirrors WardenError in @warden/shared, which the SDK cannot import (its root pulls chDB).
 */
export class GatewaySdkError extends Error {
  readonly retriable: boolean;

  constructor(
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

export interface FieldProblem {
  /** JSON pointer of the offending field, `/` for the whole event. */
  readonly path: string;
  readonly message: string;
}

/** The event would be rejected by Warden's ingest; `problems` names each offending field. */
export class InvalidEventError extends GatewaySdkError {
  readonly problems: readonly FieldProblem[];

  constructor(problems: readonly FieldProblem[]) {
    super(
      `invalid audit event: ${problems.map((p) => `${p.path} ${p.message}`).join("; ")}`,
    );
    this.problems = problems;
  }
}

/** Options given to a factory are wrong; `problems` names every bad option. */
export class GatewayConfigError extends GatewaySdkError {
  readonly problems: readonly {
    readonly option: string;
    readonly expected: string;
  }[];

  constructor(
    problems: readonly { readonly option: string; readonly expected: string }[],
  ) {
    super(
      `invalid gateway SDK configuration: ${problems.map((p) => `${p.option} (${p.expected})`).join("; ")}`,
    );
    this.problems = problems;
  }
}

/** Warden (Kafka or the HTTP ingest) did not take a batch; retriable unless it never can. */
export class DeliveryError extends GatewaySdkError {
  readonly sink: "kafka" | "http";
  readonly status: number | undefined;

  constructor(
    sink: "kafka" | "http",
    message: string,
    options: { cause?: unknown; retriable?: boolean; status?: number } = {},
  ) {
    super(`${sink}: ${message}`, { retriable: true, ...options });
    this.sink = sink;
    this.status = options.status;
  }
}

/** The shipper cannot take the event: its queue or spool is full, or it is stopping. */
export class ShipRefusedError extends GatewaySdkError {
  readonly reason: "queue_full" | "spool_full" | "stopped";

  constructor(
    reason: "queue_full" | "spool_full" | "stopped",
    message: string,
  ) {
    super(message, { retriable: reason !== "stopped" });
    this.reason = reason;
  }
}
