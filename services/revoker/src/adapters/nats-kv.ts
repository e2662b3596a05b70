import type { KV, NatsConnection } from "nats";
import type { KeyValue } from "../core/ports.js";

const decoder = new TextDecoder();

/** The KeyValue port over a NATS KV bucket (history 1: only the current value matters). */
export async function openNatsKeyValue(
  connection: NatsConnection,
  bucket: string,
): Promise<KeyValue> {
  const kv: KV = await connection.jetstream().views.kv(bucket, { history: 1 });
  const get = async (key: string): Promise<string | undefined> => {
    const entry = await kv.get(key);
    return entry?.operation === "PUT" ? entry.string() : undefined;
  };
  return {
    get,
    async put(key, value) {
      await kv.put(key, value);
    },
    async create(key, value) {
      try {
        await kv.create(key, value);
        return true;
      } catch (error) {
        // Refused because the key exists (a second replica, a redelivery): not an error.
        if ((await get(key)) !== undefined) return false;
        throw error;
      }
    },
    async delete(key) {
      await kv.delete(key);
    },
    async keys() {
      const keys: string[] = [];
      for await (const key of await kv.keys()) keys.push(key);
      return keys;
    },
    async watch(listener) {
      let ready: () => void = () => undefined;
      const initialised = new Promise<void>((resolve) => (ready = resolve));
      const watch = await kv.watch({ initializedFn: () => ready() });
      const loop = (async () => {
        for await (const entry of watch)
          listener(
            entry.key,
            entry.operation === "PUT" ? decoder.decode(entry.value) : undefined,
          );
      })();
      await initialised;
      return {
        async stop() {
          watch.stop();
          await loop;
        },
      };
    },
  };
}
