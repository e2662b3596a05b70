/** Kafka's default broker limit on one record batch is 1 MiB; stay well under it. */
export const DEFAULT_MAX_REQUEST_BYTES = 512 * 1024;

export interface SizedMessage {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?:
    | Readonly<
        Record<string, string | Buffer | (string | Buffer)[] | undefined>
      >
    | undefined;
}

function approximateBytes(message: SizedMessage): number {
  let bytes = 64;
  if (message.key) bytes += Buffer.byteLength(message.key);
  if (message.value) bytes += Buffer.byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    bytes += name.length;
    for (const part of [value ?? []].flat()) bytes += Buffer.byteLength(part);
  }
  return bytes;
}

/**
 * Splits messages, in order, into groups of at most `maxBytes` (a single larger message
 * goes alone), so one batch of dead-lettered oversized messages cannot exceed the broker's
 * limit and wedge the pipeline on a produce that can never succeed.
 */
export function chunkBySize<M extends SizedMessage>(
  messages: readonly M[],
  maxBytes: number = DEFAULT_MAX_REQUEST_BYTES,
): M[][] {
  const chunks: M[][] = [];
  let current: M[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const bytes = approximateBytes(message);
    if (current.length > 0 && currentBytes + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
