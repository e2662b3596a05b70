// The soak's judgements and its results file, as plain functions over the samples (no I/O).
import { linearRegression, quantileSorted } from "simple-statistics";

const MIB = 1024 * 1024;

/** "10m", "300s", "1h", "250ms" → milliseconds; throws naming the option otherwise. */
export function parseDuration(option, text) {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/u.exec(String(text));
  if (!match)
    throw new Error(`--${option} must look like 90s, 10m or 1h, got "${text}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2]];
  return Math.round(Number(match[1]) * unit);
}

/**
 * The trend of `series` ([{ atMs, value }]) over the second half of the run, per minute. Samples
 * taken while the pipeline drains after the run are left out: they would flatter the lag.
 */
export function secondHalfTrend(series, runMs) {
  const half = series.filter(
    (point) => point.atMs >= runMs / 2 && point.atMs <= runMs,
  );
  if (half.length < 3) return undefined;
  const { m } = linearRegression(
    half.map((point) => [point.atMs / 60_000, point.value]),
  );
  const values = half.map((point) => point.value);
  return {
    perMinute: m,
    mean: values.reduce((sum, value) => sum + value, 0) / values.length,
    max: Math.max(...values),
    minutes: (half[half.length - 1].atMs - half[0].atMs) / 60_000,
  };
}

/**
 * Memory is flat when the second half's linear trend adds less than 5 % of its mean (and less
 * than 16 MiB) over that half: warm-up (JIT, caches, chDB's buffers) is over by then, and a
 * leak shows as a steady climb that a GC sawtooth does not.
 */
export function memoryVerdict(series, runMs) {
  const trend = secondHalfTrend(series, runMs);
  if (!trend) return { flat: undefined, trend };
  const growth = trend.perMinute * trend.minutes;
  return {
    flat: growth < Math.min(0.05 * trend.mean, 16 * MIB),
    growth,
    trend,
  };
}

/** Lag is bounded when its second-half trend grows by less than 5 s of traffic over that half. */
export function lagVerdict(series, runMs, ratePerSecond) {
  const trend = secondHalfTrend(series, runMs);
  if (!trend) return { bounded: undefined, trend };
  const growth = trend.perMinute * trend.minutes;
  return { bounded: growth < ratePerSecond * 5, growth, trend };
}

export function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  return {
    count: sorted.length,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[sorted.length - 1],
  };
}

const mib = (bytes) => (bytes / MIB).toFixed(1);
const yesNo = (value) =>
  value === undefined ? "too short to tell" : value ? "yes" : "**no**";

/** The markdown results file. */
export function renderReport(run) {
  const {
    options,
    services,
    lags,
    latency,
    counts,
    machine,
    command,
    samples,
  } = run;
  const memoryRows = services.map(({ name, rss, heap }) => {
    const first = rss.series[0]?.value ?? 0;
    const last = rss.series[rss.series.length - 1]?.value ?? 0;
    return `| ${name} | ${mib(first)} | ${mib(rss.trend?.max ?? last)} | ${mib(last)} | ${mib(rss.growth ?? 0)} | ${mib(heap.series[heap.series.length - 1]?.value ?? 0)} | ${mib(heap.growth ?? 0)} | ${yesNo(rss.flat && heap.flat)} |`;
  });
  const lagRows = lags.map(
    ({ name, series, bounded, growth, trend }) =>
      `| ${name} | ${Math.max(...series.map((point) => point.value), 0)} | ${trend?.max ?? "-"} | ${series[series.length - 1]?.value ?? "-"} | ${Math.round(growth ?? 0)} | ${yesNo(bounded)} |`,
  );
  const ms = (value) => (value === undefined ? "-" : `${Math.round(value)} ms`);
  const everyMinute = samples.filter(
    (sample, index) =>
      index === samples.length - 1 ||
      Math.floor(sample.atMs / 60_000) !==
        Math.floor((samples[index + 1]?.atMs ?? 0) / 60_000),
  );
  return `# Soak: the whole pipeline at a fixed rate

The four services as separate processes over the real stack (Kafka, NATS JetStream, the
baseline's embedded chDB), the simulator's traffic (\`cli/src/simulate\` generator, runaway loops
included) produced to \`agent.audit.v1\` at a fixed rate with each event's \`time\` stamped at
production, and an SSF push receiver registered as the revoker's static stream.

Reproduce (stack up, after \`npm run build\`):

\`\`\`sh
${command}
\`\`\`

## Machine

${machine}

## Run

- Rate asked ${options.rate} events/s for ${options.durationMs / 60_000} min; produced ${counts.produced} events (${counts.achievedRate.toFixed(0)} events/s achieved), ${counts.runawayEvents} of them from ${counts.runawayAgents} runaway loops (each cut to its first ${options.runawayKeepMs / 1000} s).
- Population ${options.agents} agents, seed ${options.seed}; detector burst limit ${options.burstMaxCalls} calls per 10 s without a baseline.
- Decisions: ${
    Object.entries(counts.decisions)
      .map(([action, count]) => `${action} ${count}`)
      .join(", ") || "none"
  }; runaway agents revoked ${counts.runawaysRevoked} of ${counts.runawayAgents}.
- SETs accepted by the receiver: ${counts.sets}; drained ${counts.drained ? "completely" : "**not completely**"} within ${(counts.drainMs / 1000).toFixed(1)} s after production stopped.
- Sampled every ${options.sampleMs / 1000} s: RSS and heap from each service's \`/metrics\`, consumer lag from committed offsets (Kafka groups) and the revoker's JetStream consumer.

## Verdict

- Memory flat (second half): ${services.map(({ name, rss, heap }) => `${name} ${yesNo(rss.flat && heap.flat)}`).join(", ")}.
- Lag bounded (second half): ${lags.map(({ name, bounded }) => `${name} ${yesNo(bounded)}`).join(", ")}.
- End-to-end event → SET latency (event produced → SET accepted by the receiver, ${latency?.count ?? 0} SETs): p50 ${ms(latency?.p50)}, p90 ${ms(latency?.p90)}, p99 ${ms(latency?.p99)}, max ${ms(latency?.max)}.

A service's memory is flat when the linear trend of its second half adds less than 5 % of its
mean and less than 16 MiB over that half (RSS and heap used both); lag is bounded when its
second-half trend grows by less than 5 s of traffic. The latency runs from the trigger event's
\`time\` (stamped when the event was produced) to the SET's arrival, so it includes ingest,
the detector's batch, JetStream, signing and the push.

## Memory (MiB)

| service | RSS first | RSS max (2nd half) | RSS last | RSS trend over 2nd half | heap used last | heap trend over 2nd half | flat |
|---|---|---|---|---|---|---|---|
${memoryRows.join("\n")}

## Consumer lag (messages)

| consumer | max | max (2nd half) | last | trend over 2nd half | bounded |
|---|---|---|---|---|---|
${lagRows.join("\n")}

## Samples (one a minute)

RSS in MiB; lag in messages; counters: ingest events accepted, baseline rows inserted, detector
events scored, revoker SETs issued.

| t | produced | ${services.map(({ name }) => `${name} RSS`).join(" | ")} | ${lags.map(({ name }) => `${name} lag`).join(" | ")} | ${services.map(({ name }) => `${name} counter`).join(" | ")} |
|---|---|${services.map(() => "---").join("|")}|${lags.map(() => "---").join("|")}|${services.map(() => "---").join("|")}|
${everyMinute
  .map(
    (sample) =>
      `| ${(sample.atMs / 1000).toFixed(0)} s | ${sample.produced} | ${services.map(({ name }) => mib(sample.rss[name] ?? 0)).join(" | ")} | ${lags.map(({ name }) => sample.lag[name] ?? "-").join(" | ")} | ${services.map(({ name }) => sample.counter?.[name] ?? "-").join(" | ")} |`,
  )
  .join("\n")}
`;
}
