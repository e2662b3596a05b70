/**
 * The refresh clock every host shares: baselines are rebuilt at whole multiples of the refresh
 * interval of the event-time watermark (in live traffic, wall time), over [tick − window, tick).
 * Ticks at multiples, not at "start + n × interval", so the models at a given event time do not
 * depend on when a process started or where a replayed file begins.
 */
export function refreshTick(watermarkMs: number, refreshMs: number): number {
  return Math.floor(watermarkMs / refreshMs) * refreshMs;
}
