import { createReadStream } from "node:fs";
import { open, readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import chain from "stream-chain";
import { parser } from "stream-json";
import pick from "stream-json/filters/pick.js";
import streamArray from "stream-json/streamers/stream-array.js";

/**
 * Reading whole trails from disk: a file, or a directory as CloudTrail lays it out in S3
 * (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<id>.json.gz`,
 * digests under `CloudTrail-Digest/`). Gzip is recognised by its magic bytes, not the name.
 * A log file's `Records` are streamed one at a time (stream-json), so a file larger than
 * memory imports in bounded memory.
 */
export type FileItem =
  | {
      readonly kind: "record";
      readonly index: number;
      readonly record: unknown;
    }
  | { readonly kind: "digest" }
  | {
      readonly kind: "bad_line";
      readonly index: number;
      readonly detail: string;
      readonly raw: string;
    };

const HEAD_BYTES = 64 * 1024;

/** `…_20261102T0910Z_…` → `20261102T0910Z`, so files of all regions interleave in time order. */
function timeKey(path: string): string {
  return /_(\d{8}T\d{4}Z)_/.exec(path)?.[1] ?? "";
}

async function walk(path: string, into: string[]): Promise<void> {
  const info = await stat(path);
  if (!info.isDirectory()) {
    into.push(path);
    return;
  }
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await walk(child, into);
    else if (/\.json(\.gz)?$|\.jsonl(\.gz)?$|\.ndjson(\.gz)?$/.test(entry.name))
      into.push(child);
  }
}

/** Every input file, oldest delivery first (by the time in CloudTrail's file name, then path). */
export async function listTrailFiles(
  paths: readonly string[],
): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) await walk(path, files);
  return files.sort(
    (a, b) => timeKey(a).localeCompare(timeKey(b)) || a.localeCompare(b),
  );
}

async function isGzip(path: string): Promise<boolean> {
  const handle = await open(path, "r");
  try {
    const { bytesRead, buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return bytesRead === 2 && buffer[0] === 0x1f && buffer[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

type Shape = "log_file" | "digest" | "lines";

/** What a file holds, from its first bytes: a log file's first key is `Records`. */
function shapeOf(head: string): Shape {
  const firstKey = /^\uFEFF?\s*\{\s*"([^"]*)"/.exec(head)?.[1];
  if (firstKey === "Records") return "log_file";
  if (
    !head.includes('"Records"') &&
    /"digest(StartTime|PublicKeyFingerprint)"/.test(head)
  )
    return "digest";
  return "lines";
}

async function* linesOf(text: Readable): AsyncGenerator<FileItem> {
  let index = 0;
  for await (const line of createInterface({
    input: text,
    crlfDelay: Infinity,
  })) {
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      yield {
        kind: "bad_line",
        index: index++,
        detail: `line is not JSON: ${error instanceof Error ? error.message : "unparseable"}`,
        raw: line,
      };
      continue;
    }
    // A line may itself be a whole log file (some exports write one per line).
    const records = (value as { Records?: unknown } | null)?.Records;
    if (Array.isArray(records))
      for (const record of records)
        yield { kind: "record", index: index++, record };
    else yield { kind: "record", index: index++, record: value };
  }
}

/** The items of one file, in file order. */
export async function* readTrailFile(path: string): AsyncGenerator<FileItem> {
  const raw = createReadStream(path);
  const text: Readable = (await isGzip(path)) ? raw.pipe(createGunzip()) : raw;
  const chunks = text[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < HEAD_BYTES) {
    const next = await chunks.next();
    if (next.done) break;
    head.push(next.value);
    headBytes += next.value.length;
  }
  const shape = shapeOf(
    Buffer.concat(head).subarray(0, HEAD_BYTES).toString("utf8"),
  );
  if (shape === "digest") {
    text.destroy();
    yield { kind: "digest" };
    return;
  }
  const whole = Readable.from(
    (async function* () {
      yield* head;
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        yield next.value;
      }
    })(),
  );
  if (shape === "lines") {
    yield* linesOf(whole);
    return;
  }
  const items = chain([
    whole,
    parser(),
    pick({ filter: "Records" }),
    streamArray(),
  ]) as AsyncIterable<{ key: number; value: unknown }>;
  for await (const { key, value } of items)
    yield { kind: "record", index: key, record: value };
}
