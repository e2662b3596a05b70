import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";

export interface MinutePoint {
  readonly at: string;
  readonly calls: number;
}

export interface Band {
  readonly low: number;
  readonly high: number;
  /** Whose baseline: the agent's own, its peer group's or its tenant's. */
  readonly source: string;
}

const MINUTE_MS = 60_000;

/** One point per minute of the window (minutes without calls are zeros), with the band. */
export function chartSeries(
  points: readonly MinutePoint[],
  fromMs: number,
  toMs: number,
  band: Band | undefined,
): { t: number; calls: number; band?: [number, number] }[] {
  const byMinute = new Map(
    points.map((point) => [
      Math.floor(Date.parse(point.at) / MINUTE_MS),
      point.calls,
    ]),
  );
  const series = [];
  for (
    let minute = Math.floor(fromMs / MINUTE_MS);
    minute <= Math.floor(toMs / MINUTE_MS);
    minute += 1
  )
    series.push({
      t: minute * MINUTE_MS,
      calls: byMinute.get(minute) ?? 0,
      ...(band ? { band: [band.low, band.high] as [number, number] } : {}),
    });
  return series;
}

const clock = (ms: number) =>
  new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** Calls per minute against the baseline's usual range: the spike is where the line leaves the band. */
export function ActivityChart(props: {
  points: readonly MinutePoint[];
  fromMs: number;
  toMs: number;
  band: Band | undefined;
  decisionAtMs?: number;
}) {
  const data = chartSeries(props.points, props.fromMs, props.toMs, props.band);
  const peak = Math.max(0, ...data.map((point) => point.calls));
  return (
    <figure className="chart">
      <div
        className="chart-box"
        role="img"
        aria-label={`Calls per minute, peak ${peak}${props.band ? `, usual ${props.band.low} to ${props.band.high} (${props.band.source} baseline)` : ", no baseline yet"}`}
      >
        <ResponsiveContainer width="100%" height="100%">
          <ComposedChart
            data={data}
            margin={{ top: 8, right: 16, bottom: 0, left: 0 }}
          >
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis
              dataKey="t"
              type="number"
              domain={["dataMin", "dataMax"]}
              scale="time"
              tickFormatter={clock}
              stroke="var(--muted)"
            />
            <YAxis allowDecimals={false} stroke="var(--muted)" width={48} />
            <Tooltip labelFormatter={(value) => clock(Number(value))} />
            <Legend />
            {props.band ? (
              <Area
                dataKey="band"
                name={`usual range (${props.band.source} baseline)`}
                stroke="var(--band-edge)"
                strokeWidth={1}
                fill="var(--band)"
                isAnimationActive={false}
              />
            ) : null}
            <Line
              dataKey="calls"
              name="calls per minute"
              stroke="var(--line)"
              dot={false}
              strokeWidth={2}
              isAnimationActive={false}
            />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
      <figcaption>
        Calls per minute over the window
        {props.band
          ? `; the shaded band is the ${props.band.source} baseline's usual range (median ${props.band.low} to p99 ${props.band.high} calls in an active minute).`
          : "; no baseline has been computed for this agent yet."}
      </figcaption>
    </figure>
  );
}
