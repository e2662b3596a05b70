import type { IngestConfig } from "@warden/ingest";
import { sleep, type ClickHouseConfig, type Logger } from "@warden/shared";
import { startAllInOne, type AllInOne } from "../all-in-one.js";
import type { TransmitterConfig } from "../all-in-one-config.js";
import type { RevokerConfig, ServerTls } from "@warden/revoker";
import { EventType } from "@warden/revoker";
import { runSimulation } from "@warden/simulator";
import { formatDecisionLine, formatSetLine } from "../live-view/format.js";
import { shortEventName } from "../ssf/event-types.js";
import { createLiveView } from "../live-view/view.js";
import { sendContractExamples } from "./examples.js";
import { planDemoTraffic, type DemoTraffic } from "./plan.js";
import { startDemoReceiver } from "./receiver.js";
import { createDemoStats, type DemoStats } from "./stats.js";
import { createGatewaySink } from "./gateway-sink.js";
import {
  BEHAVIOURAL_AGENT,
  backfillBehaviouralHistory,
  runBehaviouralExports,
} from "./behavioural.js";

/**
 * `warden start --demo`: the all-in-one, a demo SSF receiver registered as a push stream, and
 * the simulator in live mode feeding the all-in-one's ingest in process; after the learning
 * phase one agent loops and another exports data its baseline never saw (behavioural.ts),
 * both are revoked, and the receiver prints the SETs it verified.
 */
export interface DemoOptions {
  readonly host: string;
  readonly port: number;
  readonly clickhouse: ClickHouseConfig;
  readonly ingest: IngestConfig;
  readonly revoker: RevokerConfig;
  readonly transmitter: TransmitterConfig;
  readonly dataDir: string;
  readonly tls: ServerTls | undefined;
  readonly logger: Logger;
  readonly seed: number;
  readonly agents: number;
  readonly rate: number;
  readonly learningMs: number;
  /** Stop after this long (from the start of the traffic); undefined: until the signal. */
  readonly durationMs: number | undefined;
  readonly signal: AbortSignal;
  readonly write: (text: string) => void;
  readonly tty: boolean;
  readonly columns?: () => number | undefined;
}

export const DEMO_RECEIVER_AUDIENCE = "warden-demo-receiver";
const REVOKE_EVENTS = [
  EventType.sessionRevoked,
  EventType.credentialChange,
  EventType.accountDisabled,
];
const REDRAW_MS = 500;
const PLAIN_EVERY_MS = 5_000;
const SIMULATION_BATCH = 200;
const SETTLE_MS = 3_000;

export async function runDemo(options: DemoOptions): Promise<void> {
  const print = (line: string): void => options.write(`${line}\n`);
  const output = { log: print };
  const queuedAt = new Map<string, number>();
  const warden = await startAllInOne({
    // Each decision with the detectors' sentences: why the agent was stopped.
    onDecision: (decision) => output.log(formatDecisionLine(decision)),
    host: options.host,
    port: options.port,
    clickhouse: options.clickhouse,
    ingest: options.ingest,
    revoker: options.revoker,
    transmitter: options.transmitter,
    dataDir: options.dataDir,
    tls: options.tls,
    logger: options.logger,
    onAudit: (record) => {
      if (record.step === "queued" && record.jti !== undefined)
        queuedAt.set(record.jti, Date.parse(record.at));
    },
  });
  try {
    // Before any traffic, so the first refresh tick builds the behavioural agent's model.
    const history = await backfillBehaviouralHistory(warden, Date.now());
    const traffic = planDemoTraffic({
      seed: options.seed,
      agents: options.agents,
      rate: options.rate,
      learningMs: options.learningMs,
      nowMs: Date.now(),
    });
    const stats = createDemoStats({
      warden,
      runaway: traffic.runaway,
      metricsUrl: `${warden.url}/metrics`,
    });
    const receiver = await startDemoReceiver({
      jwksUrl: `${warden.url}/jwks.json`,
      expected: { issuer: warden.issuer, audience: DEMO_RECEIVER_AUDIENCE },
      onSet: ({ verification, receivedAtMs }) => {
        if (!verification.ok) {
          stats.refused();
          output.log(
            formatSetLine({
              verified: false,
              what: `${verification.err}: ${verification.description}`,
              subject: "",
              jti: "",
              latencyMs: undefined,
            }),
          );
          return;
        }
        const { set } = verification;
        const sentAt = queuedAt.get(set.jti);
        queuedAt.delete(set.jti);
        const latencyMs =
          sentAt === undefined ? undefined : receivedAtMs - sentAt;
        stats.verified(set.subject, latencyMs, receivedAtMs);
        output.log(
          formatSetLine({
            verified: true,
            what: shortEventName(set.eventType),
            subject: set.subject,
            jti: set.jti,
            latencyMs,
          }),
        );
      },
    });
    try {
      await warden.revoker.addOperatorStream("demo-receiver", {
        url: receiver.url,
        audience: DEMO_RECEIVER_AUDIENCE,
        authorization: undefined,
        events: REVOKE_EVENTS,
      });
      print(`Warden all-in-one: ${warden.url} (POST /v1/events)`);
      print(`metrics: ${warden.url}/metrics`);
      print(
        `demo SSF receiver: ${receiver.url}, verifying SETs against ${warden.url}/jwks.json`,
      );
      await sendContractExamples((messages) => warden.ingest(messages), print);
      const { runaway } = traffic;
      print(
        `traffic: ${options.agents} simulated agents, ${options.rate} events/s on average over a simulated day, more in business hours (seed ${options.seed}); ` +
          `after ${Math.round(options.learningMs / 1000)} s of learning, ${runaway.agentId} (tenant ${runaway.tenant}) goes into a runaway loop`,
      );
      print(
        `behavioural case: ${BEHAVIOURAL_AGENT.agentId} (tenant ${BEHAVIOURAL_AGENT.tenant}) has 2 days of history (${history} calls reading CRM contacts); after learning it exports restricted payroll data, which only its baseline can judge`,
      );
      await driveTraffic({ options, warden, traffic, stats, output });
    } finally {
      await receiver.close();
    }
  } finally {
    await warden.stop();
  }
}

/** The live part: simulated traffic under the live view until --duration, Ctrl-C or the plan's end. */
async function driveTraffic(run: {
  readonly options: DemoOptions;
  readonly warden: AllInOne;
  readonly traffic: DemoTraffic;
  readonly stats: DemoStats;
  /** Where SET lines go: plain lines, or through the live view while it draws. */
  readonly output: { log: (line: string) => void };
}): Promise<void> {
  const { options, warden, stats, output } = run;
  const print = output.log;
  const simulation = new AbortController();
  const stopSimulation = (): void =>
    simulation.abort(new Error("demo stopping"));
  options.signal.addEventListener("abort", stopSimulation, { once: true });
  // A Ctrl-C during start-up has already fired: stop before any traffic.
  if (options.signal.aborted) stopSimulation();
  const timer =
    options.durationMs === undefined
      ? undefined
      : setTimeout(stopSimulation, options.durationMs);
  stats.start(Date.now());
  const view = createLiveView({
    write: options.write,
    tty: options.tty,
    redrawMs: REDRAW_MS,
    plainEveryMs: PLAIN_EVERY_MS,
    snapshot: () => stats.snapshot(Date.now()),
    columns: options.columns,
  });
  output.log = (line) => view.log(line);
  // At the end of learning, beside the loop (sleep rejects once the demo stops).
  const exports = sleep(
    Math.max(0, run.traffic.runaway.startMs - Date.now()),
    simulation.signal,
  )
    .then(() =>
      runBehaviouralExports(
        warden,
        (ms) => sleep(ms, simulation.signal),
        (calls) => stats.blocked(calls),
      ),
    )
    .catch((error: unknown) => {
      if (!simulation.signal.aborted) throw error;
    });
  try {
    await runSimulation({
      plan: run.traffic.plan,
      sink: createGatewaySink(warden, (blocked) => stats.blocked(blocked)),
      batchSize: SIMULATION_BATCH,
      live: true,
      labelsPath: undefined,
      signal: simulation.signal,
    });
  } finally {
    clearTimeout(timer);
    // The traffic is over (or failed): the exports stop too, then are waited for.
    stopSimulation();
    await exports;
    options.signal.removeEventListener("abort", stopSimulation);
    // SETs already signed still reach the receiver before it closes (a failing push is not waited out).
    const settling = new AbortController();
    await Promise.race([
      warden.revoker.settled(),
      sleep(SETTLE_MS, settling.signal).catch(() => undefined),
    ]);
    settling.abort();
    view.stop();
    output.log = print;
    for (const line of stats.summary(Date.now())) print(line);
  }
}
