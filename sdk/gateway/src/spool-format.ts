import { crc32 } from "node:zlib";

/**
 * The on-disk record of the spool: a 4-byte big-endian payload length, the payload's CRC-32,
 * then the payload (one audit event as JSON). Pure functions so that torn and corrupt
 * segments can be tested exhaustively without a disk.
 */
export const RECORD_HEADER_BYTES = 8;
/** Far above any event the builder lets through (64 KiB by default); a larger length is damage. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

export function encodeRecords(payloads: readonly Buffer[]): Buffer {
  let total = 0;
  for (const payload of payloads) total += RECORD_HEADER_BYTES + payload.length;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const payload of payloads) {
    out.writeUInt32BE(payload.length, offset);
    out.writeUInt32BE(crc32(payload), offset + 4);
    payload.copy(out, offset + RECORD_HEADER_BYTES);
    offset += RECORD_HEADER_BYTES + payload.length;
  }
  return out;
}

export interface DecodedSegment {
  readonly payloads: Buffer[];
  /** Bytes after the last intact record: a write torn by a crash, or damage. Never replayed. */
  readonly damagedBytes: number;
}

/**
 * Reads every intact record from the start of a segment. A crash can tear only the last
 * write, so reading stops at the first record that is short or fails its checksum; what
 * follows cannot be framed reliably and is reported as damaged.
 */
export function decodeSegment(bytes: Buffer): DecodedSegment {
  const payloads: Buffer[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER_BYTES <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const checksum = bytes.readUInt32BE(offset + 4);
    const end = offset + RECORD_HEADER_BYTES + length;
    if (length > MAX_RECORD_BYTES || end > bytes.length) break;
    const payload = bytes.subarray(offset + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== checksum) break;
    payloads.push(payload);
    offset = end;
  }
  return { payloads, damagedBytes: bytes.length - offset };
}
