import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { constants, createGzip, type Gzip } from "node:zlib";
import type { Writable } from "node:stream";
import { toLine, type EventSink, type SinkReport } from "./sink.js";

/** NDJSON to a file (gzip-compressed when the name ends in .gz) or to stdout for "-". */
export function createFileSink(path: string): EventSink {
  const toStdout = path === "-";
  const file: WriteStream | undefined = toStdout
    ? undefined
    : createWriteStream(path);
  // The fastest level: NDJSON of ids and names still shrinks about 8×, and zlib's default
  // level would be the slowest step of a large run (bench/results/simulate-file.md).
  const gzip: Gzip | undefined = path.endsWith(".gz")
    ? createGzip({ level: constants.Z_BEST_SPEED })
    : undefined;
  if (gzip && file) gzip.pipe(file);
  const head: Writable = gzip ?? file ?? process.stdout;
  let failure: Error | undefined;
  for (const stream of [file, gzip])
    stream?.on("error", (error: Error) => {
      failure ??= error;
    });
  let bytes = 0;
  return {
    description: toStdout ? "stdout" : path,
    async write(batch) {
      if (failure) throw failure;
      let chunk = "";
      for (const generated of batch) chunk += `${toLine(generated)}\n`;
      bytes += Buffer.byteLength(chunk);
      if (!head.write(chunk)) await once(head, "drain");
    },
    async close(): Promise<SinkReport> {
      if (!toStdout) {
        const finished = once(file ?? head, "close");
        head.end();
        await finished;
      }
      if (failure) throw failure;
      return { bytes, rejected: 0 };
    },
  };
}
