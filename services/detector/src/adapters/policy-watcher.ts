import { readFileSync, watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { describeError, type Logger } from "@warden/shared";
import { parsePolicy, PolicyError, type Policy } from "../core/policy.js";
import type { DetectorMetrics } from "../metrics.js";

/** Changes arriving within this long are read once (editors write a file in several steps). */
export const DEFAULT_POLICY_RELOAD_DELAY_MS = 250;

export interface PolicyWatcher {
  /** Reads the file now (also what a change triggers); resolves to whether it was applied. */
  reload(): Promise<boolean>;
  stop(): void;
}

/**
 * Hot reload of DETECTOR_POLICY_FILE. The directory is watched, not the file, because editors
 * and config management replace a file by renaming a new one over it. A file that does not
 * parse or validate is rejected — logged at error with every problem, counted — and the
 * policy in force stays; a valid one replaces it for the next event scored.
 */
export function watchPolicyFile(options: {
  readonly path: string;
  readonly apply: (policy: Policy) => void;
  readonly logger: Logger;
  readonly metrics: DetectorMetrics;
  readonly delayMs?: number;
}): PolicyWatcher {
  const { path, metrics } = options;
  const log = options.logger.child({ component: "policy-watcher" });
  const delayMs = options.delayMs ?? DEFAULT_POLICY_RELOAD_DELAY_MS;
  // The file as read at start-up is the one in force: only a different content is a reload.
  let last = readFileSync(path, "utf8");
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<boolean> = Promise.resolve(true);

  async function readAndApply(): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      metrics.policyReloads.labels("rejected").inc();
      log.error(
        { path, err: describeError(error) },
        "policy file unreadable; keeping the policy in force",
      );
      return false;
    }
    if (text === last) return true;
    try {
      const policy = parsePolicy(JSON.parse(text));
      options.apply(policy);
      last = text;
      metrics.policyReloads.labels("applied").inc();
      log.info(
        { path, dryRun: policy.dryRun, budgets: policy.budgets },
        "policy reloaded",
      );
      return true;
    } catch (error) {
      metrics.policyReloads.labels("rejected").inc();
      log.error(
        {
          path,
          problems:
            error instanceof PolicyError
              ? error.problems
              : [(error as Error).message],
        },
        "policy file rejected; keeping the policy in force",
      );
      return false;
    }
  }

  function reload(): Promise<boolean> {
    running = running.then(readAndApply, readAndApply);
    return running;
  }

  const watcher: FSWatcher = watch(dirname(path), (_event, file) => {
    if (file !== null && file !== basename(path)) return;
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), delayMs);
  });
  watcher.on("error", (error) =>
    log.error({ path, err: describeError(error) }, "policy watch failed"),
  );
  return {
    reload,
    stop() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
