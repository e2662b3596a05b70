/** What an import did, so that records = events + skipped + dead-lettered can be checked. */
export interface ImportSummary {
  files: number;
  unreadableFiles: number;
  records: number;
  events: number;
  outOfOrder: number;
  skipped: Record<string, number>;
  deadLettered: Record<string, number>;
}

export function createImportSummary(): ImportSummary {
  return {
    files: 0,
    unreadableFiles: 0,
    records: 0,
    events: 0,
    outOfOrder: 0,
    skipped: {},
    deadLettered: {},
  };
}

function counts(entries: Record<string, number>): string {
  const parts = Object.entries(entries).map(([key, n]) => `${key} ${n}`);
  return parts.length > 0 ? parts.join(", ") : "none";
}

export function formatImportSummary(summary: ImportSummary): string[] {
  return [
    `files: ${summary.files}${summary.unreadableFiles > 0 ? ` (${summary.unreadableFiles} unreadable)` : ""}`,
    `records: ${summary.records} → events ${summary.events}`,
    `skipped: ${counts(summary.skipped)}`,
    `dead-lettered: ${counts(summary.deadLettered)}`,
    ...(summary.outOfOrder > 0
      ? [
          `out of order: ${summary.outOfOrder} events older than the reorder window (raise --reorder-window)`,
        ]
      : []),
  ];
}
