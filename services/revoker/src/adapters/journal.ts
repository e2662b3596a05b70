import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";

/**
 * An append-only file of JSON records, one a line, each on disk (fdatasync) before `append`
 * returns: the all-in-one's durable store for what the cluster keeps in JetStream and NATS KV.
 * Opening reads every record back; a torn last line (a kill -9 mid-write) is dropped, since
 * its append never returned. `compact` rewrites the file with only the records still needed.
 */
export interface Journal<T> {
  /** The records read at open, oldest first. */
  readonly records: readonly T[];
  append(record: T): void;
  appendAll(records: readonly T[]): void;
  /** Replaces the file's content atomically (write aside, fsync, rename). */
  compact(records: readonly T[]): void;
  close(): void;
}

export function openJournal<T>(file: string): Journal<T> {
  mkdirSync(dirname(file), { recursive: true });
  const records: T[] = [];
  if (existsSync(file)) {
    const lines = readFileSync(file, "utf8").split("\n");
    for (const [index, line] of lines.entries()) {
      if (line === "") continue;
      try {
        records.push(JSON.parse(line) as T);
      } catch (error) {
        if (index < lines.length - 1)
          throw new Error(`${file}: line ${index + 1} is not JSON`, {
            cause: error,
          });
      }
    }
  }
  let fd = openSync(file, "a");
  const write = (target: number, items: readonly T[]): void => {
    if (items.length === 0) return;
    writeSync(
      target,
      items.map((item) => `${JSON.stringify(item)}\n`).join(""),
    );
    fdatasyncSync(target);
  };
  return {
    records,
    append: (record) => write(fd, [record]),
    appendAll: (items) => write(fd, items),
    compact(items) {
      const aside = `${file}.compact`;
      const target = openSync(aside, "w");
      try {
        write(target, items);
      } finally {
        closeSync(target);
      }
      renameSync(aside, file);
      closeSync(fd);
      fd = openSync(file, "a");
    },
    close: () => closeSync(fd),
  };
}
