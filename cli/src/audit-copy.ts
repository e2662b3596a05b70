/**
 * The revoker's audit records copied to the revocations table the query API reads, off the
 * revoker's path (its own journal already holds them durably): in order, in batches, one
 * insert at a time. The copy is bounded by refusing new work upstream, never by dropping: once
 * `maxBacklog` records wait, `behind()` says why and the all-in-one's ingest answers 503 until
 * the store catches up; records arriving meanwhile (SETs still being delivered) are kept.
 */
export interface AuditCopy<T> {
  add(record: T): void;
  /** Records waiting or being written. */
  readonly backlog: number;
  /** Why ingest should back off now, or undefined. */
  behind(): string | undefined;
  /** Resolves once every record added so far is written (or its failure reported). */
  settled(): Promise<void>;
}

const MAX_BATCH = 1_000;

export function createAuditCopy<T>(options: {
  readonly write: (records: readonly T[]) => Promise<void>;
  readonly maxBacklog: number;
  readonly onError: (error: unknown, records: number) => void;
}): AuditCopy<T> {
  let waiting: T[] = [];
  let writing = 0;
  let drained: Promise<void> | undefined;
  const drain = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting.slice(0, MAX_BATCH);
      waiting = waiting.slice(batch.length);
      writing = batch.length;
      try {
        await options.write(batch);
      } catch (error) {
        options.onError(error, batch.length);
      }
      writing = 0;
    }
    drained = undefined;
  };
  const copy: AuditCopy<T> = {
    add(record) {
      waiting.push(record);
      drained ??= drain();
    },
    get backlog() {
      return waiting.length + writing;
    },
    behind: () =>
      copy.backlog >= options.maxBacklog
        ? `${copy.backlog} audit records wait for the store (WARDEN_AUDIT_BACKLOG ${options.maxBacklog}); retry`
        : undefined,
    settled: () => drained ?? Promise.resolve(),
  };
  return copy;
}
