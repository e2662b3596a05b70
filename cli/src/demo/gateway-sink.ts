import type { AllInOne } from "../all-in-one.js";
import type { EventSink } from "@warden/simulator";

/** The tenant of events that name none (the audit-event contract's default). */
const DEFAULT_TENANT = "default";

/**
 * The simulator's output in the demo: a stand-in gateway that hands each batch to the
 * all-in-one's ingest in process and, like a real gateway's kill-switch enforcer, drops the
 * calls of agents Warden has revoked (counted, so the demo can show the loop being stopped).
 */
export function createGatewaySink(
  warden: Pick<AllInOne, "ingest" | "revoker">,
  onBlocked: (calls: number) => void,
): EventSink {
  let bytes = 0;
  let rejected = 0;
  return {
    description: "the all-in-one's ingest, in process",
    async write(batch) {
      const revoked = new Set(
        warden.revoker
          .revoked()
          .map((message) => JSON.stringify([message.tenant, message.agent_id])),
      );
      const lines: Buffer[] = [];
      let blocked = 0;
      for (const { event } of batch) {
        if (
          revoked.has(
            JSON.stringify([event.tenant ?? DEFAULT_TENANT, event.agent.id]),
          )
        )
          blocked += 1;
        else lines.push(Buffer.from(JSON.stringify(event)));
      }
      if (blocked > 0) onBlocked(blocked);
      if (lines.length === 0) return;
      for (const line of lines) bytes += line.length + 1;
      const results = await warden.ingest(lines);
      rejected += results.filter(
        (result) => result.status === "rejected",
      ).length;
    },
    close: () => Promise.resolve({ bytes, rejected }),
  };
}
