import type { KV, NatsConnection } from "nats";
import type { StreamRecord } from "../core/stream.js";

/**
 * SSF stream configurations, durable in a NATS KV bucket (key = stream_id). A watch keeps
 * an in-memory copy for the hot path (every decision reads it); the API reads the bucket.
 */
export interface StreamStore {
  get(streamId: string): Promise<StreamRecord | undefined>;
  put(record: StreamRecord): Promise<void>;
  delete(streamId: string): Promise<void>;
  /** Every stream as last seen by the watch. */
  cached(): readonly StreamRecord[];
  cachedOne(streamId: string): StreamRecord | undefined;
  /** Called after each change the watch sees (create, update, delete). */
  onChange(
    listener: (streamId: string, record: StreamRecord | undefined) => void,
  ): void;
  stop(): Promise<void>;
}

const decoder = new TextDecoder();

export async function openStreamStore(
  connection: NatsConnection,
  bucket: string,
): Promise<StreamStore> {
  const kv: KV = await connection.jetstream().views.kv(bucket, { history: 1 });
  const cache = new Map<string, StreamRecord>();
  const listeners: ((id: string, record: StreamRecord | undefined) => void)[] =
    [];
  let ready: () => void = () => undefined;
  const initialised = new Promise<void>((resolve) => (ready = resolve));
  const watch = await kv.watch({ initializedFn: () => ready() });
  const loop = (async () => {
    for await (const entry of watch) {
      const record =
        entry.operation === "PUT"
          ? (JSON.parse(decoder.decode(entry.value)) as StreamRecord)
          : undefined;
      if (record) cache.set(entry.key, record);
      else cache.delete(entry.key);
      for (const listener of listeners) listener(entry.key, record);
    }
  })();
  await initialised;

  return {
    async get(streamId) {
      const entry = await kv.get(streamId);
      return entry && entry.operation === "PUT"
        ? (JSON.parse(entry.string()) as StreamRecord)
        : undefined;
    },
    async put(record) {
      await kv.put(record.stream_id, JSON.stringify(record));
      cache.set(record.stream_id, record);
    },
    async delete(streamId) {
      await kv.delete(streamId);
      cache.delete(streamId);
    },
    cached: () => [...cache.values()],
    cachedOne: (streamId) => cache.get(streamId),
    onChange(listener) {
      listeners.push(listener);
      for (const [id, record] of cache) listener(id, record);
    },
    async stop() {
      watch.stop();
      await loop;
    },
  };
}
