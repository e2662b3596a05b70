import type { KeyValue } from "../core/ports.js";
import type { StreamRecord } from "../core/stream.js";

/**
 * SSF stream configurations, durable in a key-value store (key = stream_id). A watch keeps
 * an in-memory copy for the hot path (every decision reads it); the API reads the store.
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

export async function openStreamStore(kv: KeyValue): Promise<StreamStore> {
  const cache = new Map<string, StreamRecord>();
  const listeners: ((id: string, record: StreamRecord | undefined) => void)[] =
    [];
  const watch = await kv.watch((key, value) => {
    const record =
      value === undefined ? undefined : (JSON.parse(value) as StreamRecord);
    if (record) cache.set(key, record);
    else cache.delete(key);
    for (const listener of listeners) listener(key, record);
  });

  return {
    async get(streamId) {
      const value = await kv.get(streamId);
      return value === undefined
        ? undefined
        : (JSON.parse(value) as StreamRecord);
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
    stop: () => watch.stop(),
  };
}
