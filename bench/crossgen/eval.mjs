// The detector's labelled evaluation on crossgen traffic (an independent generator), reusing
// bench/detector-eval.mjs for the replay and the scoring (after `npm run build`):
//   node bench/crossgen/eval.mjs [--seed 1] [--agents 130] [--days 8] [--start 2026-11-16] [--keep DIR] [--policy FILE]
// writes bench/results/detector-eval-crossgen.md. The traffic goes where detector-eval --reuse
// takes it (DIR/traffic.ndjson.gz, its labels and simulation.json), so no `warden simulate` runs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { RUN_OPTIONS, runOptions, writeRun } from "./generate.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { values } = parseArgs({
  options: {
    ...RUN_OPTIONS,
    keep: { type: "string" },
    policy: { type: "string" },
    results: {
      type: "string",
      default: join(root, "bench/results/detector-eval-crossgen.md"),
    },
  },
});
const dir = values.keep ?? mkdtempSync(join(tmpdir(), "warden-crossgen-"));
const started = Date.now();
const summary = writeRun(dir, runOptions(values));
const generatedS = ((Date.now() - started) / 1000).toFixed(0);
execFileSync(
  process.execPath,
  [
    join(root, "bench/detector-eval.mjs"),
    "--keep",
    dir,
    "--reuse",
    "--results",
    values.results,
    ...(values.policy ? ["--policy", values.policy] : []),
  ],
  { stdio: ["ignore", "ignore", "inherit"] },
);
// detector-eval describes `warden simulate`; say what really made the traffic.
const reproduce = `node bench/crossgen/eval.mjs --seed ${values.seed} --agents ${values.agents} --days ${values.days} --start ${values.start}${values.policy ? ` --policy ${values.policy}` : ""}`;
const report = readFileSync(values.results, "utf8")
  .replace(
    /^# Detector — labelled evaluation/m,
    "# Detector — labelled evaluation on crossgen traffic (independent generator)",
  )
  .replace(
    /^Reproduce \(after `npm run build`\): `[^`]*`/m,
    `Reproduce (after \`npm run build\`): \`${reproduce}\``,
  )
  .replace(
    /^`warden simulate` \([^\n]*?\) → `warden replay`/m,
    `\`bench/crossgen\` (seed ${values.seed}, ${summary.agents} agent identities: ${values.agents} agents of nine kinds in four tenants and time zones plus the identities attacks and look-alikes bring, ${values.days} days from ${values.start}, twelve attack kinds × 2 and seven kinds of benign look-alike after the first 30 %; generated in ${generatedS} s) → \`warden replay\``,
  );
writeFileSync(values.results, report);
process.stdout.write(report);
if (!values.keep) rmSync(dir, { recursive: true, force: true });
