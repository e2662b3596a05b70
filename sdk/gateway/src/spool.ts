import {
  mkdir,
  open,
  readFile,
  readdir,
  stat,
  unlink,
  writeFile,
  type FileHandle,
} from "node:fs/promises";
import { join } from "node:path";
import { ShipRefusedError } from "./errors.js";
import { decodeSegment, encodeRecords } from "./spool-format.js";

export const DEFAULT_SPOOL_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_SPOOL_SEGMENT_BYTES = 8 * 1024 * 1024;

const SEGMENT_SUFFIX = ".seg";
const LOCK_FILE = "spool.lock";

export interface SpoolOptions {
  readonly directory: string;
  /** All segments together; an append that would pass it is refused (spool_full). */
  readonly maxBytes?: number;
  /** A segment is sealed and a new one started past this size. */
  readonly segmentBytes?: number;
}

export interface SpooledSegment {
  readonly id: number;
  readonly payloads: Buffer[];
  readonly damagedBytes: number;
}

/**
 * A bounded, append-only log of events Warden has not yet acknowledged: numbered segment
 * files whose every append is fsynced before it returns, read back oldest first and deleted
 * once delivered. Survives a restart or kill -9; a torn last record is skipped on replay.
 */
export interface Spool {
  /** Appends and fsyncs; throws ShipRefusedError("spool_full") when over `maxBytes`. */
  append(payloads: readonly Buffer[]): Promise<void>;
  /** The oldest segment's intact records (sealing the active one if it is the oldest). */
  oldest(): Promise<SpooledSegment | undefined>;
  remove(id: number): Promise<void>;
  isEmpty(): boolean;
  sizeBytes(): number;
  segmentCount(): number;
  close(): Promise<void>;
}

function segmentName(id: number): string {
  return `${String(id).padStart(16, "0")}${SEGMENT_SUFFIX}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// Two gateways appending to one directory would interleave records; the second is refused.
// A lock left by a killed process (its pid gone) is taken over.
async function takeLock(directory: string): Promise<void> {
  const path = join(directory, LOCK_FILE);
  try {
    const holder = Number.parseInt(await readFile(path, "utf8"), 10);
    if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder))
      throw new Error(`spool ${directory} is in use by process ${holder}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  await writeFile(path, String(process.pid));
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function openSpool(options: SpoolOptions): Promise<Spool> {
  const maxBytes = options.maxBytes ?? DEFAULT_SPOOL_MAX_BYTES;
  const segmentBytes = options.segmentBytes ?? DEFAULT_SPOOL_SEGMENT_BYTES;
  const { directory } = options;
  await mkdir(directory, { recursive: true });
  await takeLock(directory);

  const sizes = new Map<number, number>();
  for (const name of await readdir(directory)) {
    if (!name.endsWith(SEGMENT_SUFFIX)) continue;
    const id = Number.parseInt(name, 10);
    if (Number.isSafeInteger(id))
      sizes.set(id, (await stat(join(directory, name))).size);
  }
  let nextId = Math.max(0, ...sizes.keys()) + 1;
  let totalBytes = [...sizes.values()].reduce((sum, size) => sum + size, 0);
  let active: { id: number; handle: FileHandle } | undefined;
  let closed = false;
  // Appends, sealing and removal run one at a time: a segment is never read while written.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };

  async function seal(): Promise<void> {
    if (!active) return;
    await active.handle.close();
    active = undefined;
  }

  async function activeSegment(): Promise<{ id: number; handle: FileHandle }> {
    if (active && (sizes.get(active.id) ?? 0) >= segmentBytes) await seal();
    if (!active) {
      const id = nextId;
      nextId += 1;
      active = {
        id,
        handle: await open(join(directory, segmentName(id)), "a"),
      };
      sizes.set(id, 0);
      await syncDirectory(directory);
    }
    return active;
  }

  return {
    append(payloads) {
      return exclusive(async () => {
        if (closed)
          throw new ShipRefusedError("stopped", "the spool is closed");
        const bytes = encodeRecords(payloads);
        if (totalBytes + bytes.length > maxBytes)
          throw new ShipRefusedError(
            "spool_full",
            `the spool at ${directory} holds ${totalBytes} bytes; ${bytes.length} more would pass its ${maxBytes}-byte limit`,
          );
        const segment = await activeSegment();
        await segment.handle.write(bytes);
        await segment.handle.datasync();
        sizes.set(segment.id, (sizes.get(segment.id) ?? 0) + bytes.length);
        totalBytes += bytes.length;
      });
    },
    oldest() {
      return exclusive(async () => {
        const id = Math.min(...sizes.keys());
        if (!Number.isFinite(id)) return undefined;
        if (active?.id === id) await seal();
        const decoded = decodeSegment(
          await readFile(join(directory, segmentName(id))),
        );
        return { id, ...decoded };
      });
    },
    remove(id) {
      return exclusive(async () => {
        if (active?.id === id) await seal();
        await unlink(join(directory, segmentName(id)));
        totalBytes -= sizes.get(id) ?? 0;
        sizes.delete(id);
        await syncDirectory(directory);
      });
    },
    isEmpty: () => totalBytes === 0,
    sizeBytes: () => totalBytes,
    segmentCount: () => sizes.size,
    close() {
      return exclusive(async () => {
        if (closed) return;
        closed = true;
        await seal();
        // An empty active segment left behind would only be replayed as nothing; tidy it.
        for (const [id, size] of sizes) {
          if (size === 0) {
            await unlink(join(directory, segmentName(id))).catch(
              () => undefined,
            );
            sizes.delete(id);
          }
        }
        await unlink(join(directory, LOCK_FILE)).catch(() => undefined);
      });
    },
  };
}
