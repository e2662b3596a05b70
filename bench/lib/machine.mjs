// What every benchmark result states about where it ran (shared by all of bench/).
import { execFileSync } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import { readFileSync } from "node:fs";

function shell(command) {
  try {
    return execFileSync("bash", ["-c", command], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** A markdown list: CPU, cores, memory, load, Node, Java, OS, date. */
export function machineDetails() {
  const cpuModel =
    readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/)?.[1] ??
    cpus()[0]?.model ??
    "unknown";
  return [
    `- CPU: ${cpuModel}, ${shell("nproc")} cores visible (shared machine: other work may run beside the benchmark)`,
    `- Memory: ${(totalmem() / 1024 ** 3).toFixed(1)} GiB; load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`,
    `- Node ${process.version}; ${shell("java -version 2>&1 | head -n 1")}; ${shell("uname -sr")}`,
    `- Run at ${new Date().toISOString()}`,
  ].join("\n");
}
