/**
 * Coalesces rows from concurrent callers (one per Kafka partition) into few large inserts:
 * a flush starts when `maxRows` rows wait or `flushDelayMs` after the first one arrived.
 * `write` resolves only once the insert holding its rows was acknowledged, and rejects if
 * that insert failed, so the caller commits offsets only for rows that are stored. Memory
 * stays bounded because every caller awaits its write before fetching more; inserts run one
 * at a time, in arrival order.
 */
export interface BatchWriter<R> {
  write(rows: readonly R[]): Promise<void>;
  /** Rows waiting for the next flush. */
  readonly pending: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export function createBatchWriter<R>(options: {
  readonly maxRows: number;
  readonly flushDelayMs: number;
  readonly insert: (rows: R[]) => Promise<void>;
}): BatchWriter<R> {
  let buffer: R[] = [];
  let waiters: Waiter[] = [];
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();

  async function insertAll(rows: R[]): Promise<void> {
    for (let start = 0; start < rows.length; start += options.maxRows)
      await options.insert(rows.slice(start, start + options.maxRows));
  }

  function flush(): void {
    clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const rows = buffer;
    const settled = waiters;
    buffer = [];
    waiters = [];
    chain = chain.then(async () => {
      try {
        await insertAll(rows);
        for (const waiter of settled) waiter.resolve();
      } catch (error) {
        for (const waiter of settled) waiter.reject(error);
      }
    });
  }

  return {
    write(rows) {
      if (rows.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        for (const row of rows) buffer.push(row);
        waiters.push({ resolve, reject });
        if (buffer.length >= options.maxRows) flush();
        else timer ??= setTimeout(flush, options.flushDelayMs);
      });
    },
    get pending() {
      return buffer.length;
    },
  };
}
