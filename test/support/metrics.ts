/**
 * Reads a running service's /metrics and sums a metric's samples whose labels include
 * `labels` (all samples when none are given).
 */
export async function scrapeMetric(
  opsPort: number,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
  const text = await response.text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/u.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? "";
    const wanted = Object.entries(labels).every(([key, value]) =>
      labelText.includes(`${key}="${value}"`),
    );
    if (wanted) sum += Number(match[3]);
  }
  return sum;
}
