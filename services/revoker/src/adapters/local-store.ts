import { join } from "node:path";
import { revokedAgentKey, type KillSwitchMessage } from "@warden/shared";
import type { AuditRecord } from "../core/audit.js";
import type { KeyValue } from "../core/ports.js";
import type { AuditLog } from "./audit-log.js";
import { openJournal } from "./journal.js";
import type { SigningKeys } from "../signing-key.js";
import {
  killSwitchMessage,
  killSwitchWrite,
  signedKillSwitchMessage,
  type KillSwitch,
} from "./kill-switch.js";

/**
 * The revoker's ports on one machine (the all-in-one): key-value buckets, the audit log and
 * the kill switch as journals under a data directory, so a kill -9 and a restart lose nothing
 * the cluster would keep. The SET queue is adapters/local-set-queue.ts.
 */
type KvRecord =
  | { readonly op: "put"; readonly key: string; readonly value: string }
  | { readonly op: "delete"; readonly key: string };

export function openLocalKeyValue(file: string): KeyValue & {
  close(): void;
} {
  const journal = openJournal<KvRecord>(file);
  const entries = new Map<string, string>();
  for (const record of journal.records)
    if (record.op === "put") entries.set(record.key, record.value);
    else entries.delete(record.key);
  journal.compact(
    [...entries].map(([key, value]) => ({ op: "put" as const, key, value })),
  );
  const listeners = new Set<(key: string, value: string | undefined) => void>();
  const changed = (key: string, value: string | undefined): void => {
    for (const listener of listeners) listener(key, value);
  };
  return {
    get: (key) => Promise.resolve(entries.get(key)),
    put(key, value) {
      journal.append({ op: "put", key, value });
      entries.set(key, value);
      changed(key, value);
      return Promise.resolve();
    },
    create(key, value) {
      if (entries.has(key)) return Promise.resolve(false);
      journal.append({ op: "put", key, value });
      entries.set(key, value);
      changed(key, value);
      return Promise.resolve(true);
    },
    delete(key) {
      if (!entries.has(key)) return Promise.resolve();
      journal.append({ op: "delete", key });
      entries.delete(key);
      changed(key, undefined);
      return Promise.resolve();
    },
    keys: () => Promise.resolve([...entries.keys()]),
    watch(listener) {
      for (const [key, value] of entries) listener(key, value);
      listeners.add(listener);
      return Promise.resolve({
        stop: () => {
          listeners.delete(listener);
          return Promise.resolve();
        },
      });
    },
    close: () => journal.close(),
  };
}

/** The audit trail as a journal file (the cluster writes it to `warden.revocations.v1`). */
export function openLocalAuditLog(
  file: string,
  onWritten?: (count: number) => void,
): AuditLog {
  const journal = openJournal<AuditRecord>(file);
  return {
    write(records) {
      journal.appendAll(records);
      onWritten?.(records.length);
      return Promise.resolve();
    },
    stop() {
      journal.close();
      return Promise.resolve();
    },
  };
}

/**
 * The kill switch in a key-value store (key `<tenant>.<agent>` as the gateways' bucket, value
 * the signed wire message), with the agents currently revoked readable for `GET /v1/kill-switch`.
 */
export function openLocalKillSwitch(
  kv: KeyValue,
  keys: SigningKeys,
): KillSwitch & {
  revoked(): Promise<KillSwitchMessage[]>;
} {
  return {
    async apply(action, nowIso) {
      const message = killSwitchMessage(action, nowIso);
      const key = revokedAgentKey(action.tenant, action.agentId);
      const stored = await kv.get(key);
      // One process owns the journal and applies one action at a time per agent's decision.
      const write = killSwitchWrite(
        action,
        stored === undefined
          ? undefined
          : (JSON.parse(stored) as KillSwitchMessage),
      );
      if (write === "keep") return undefined;
      if (write === "put")
        await kv.put(
          key,
          new TextDecoder().decode(
            await signedKillSwitchMessage(keys, message),
          ),
        );
      else await kv.delete(key);
      return message;
    },
    async revoked() {
      const messages: KillSwitchMessage[] = [];
      for (const key of await kv.keys()) {
        const value = await kv.get(key);
        if (value !== undefined)
          messages.push(JSON.parse(value) as KillSwitchMessage);
      }
      return messages;
    },
  };
}

/** Where each local store lives under the all-in-one's data directory. */
export function localStorePaths(dataDir: string) {
  return {
    streams: join(dataDir, "streams.journal"),
    approvals: join(dataDir, "approvals.journal"),
    revokedAgents: join(dataDir, "revoked-agents.journal"),
    riskLevels: join(dataDir, "risk-levels.journal"),
    sets: join(dataDir, "sets.journal"),
    deadSets: join(dataDir, "sets-dead-letters.ndjson"),
    audit: join(dataDir, "revocations.ndjson"),
    signingKeys: join(dataDir, "signing-keys.json"),
  };
}
