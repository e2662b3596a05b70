import type { Generated } from "../generator.js";

/** Where generated events go. `write` resolves once the sink can take more (back-pressure). */
export interface EventSink {
  /** For messages: a path, a topic or a URL (never a secret). */
  readonly description: string;
  write(batch: readonly Generated[]): Promise<void>;
  /** Flushes and releases everything; safe to call once after the last write. */
  close(): Promise<SinkReport>;
}

export interface SinkReport {
  /** Bytes of NDJSON written (before compression). */
  readonly bytes: number;
  /** Events the receiver said it refused (HTTP ingest reports them); 0 when unknown. */
  readonly rejected: number;
}

/** One NDJSON line per event (without the newline). */
export function toLine(generated: Generated): string {
  return JSON.stringify(generated.event);
}
