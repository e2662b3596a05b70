import { SingleBar } from "cli-progress";
import type { Progress } from "@warden/simulator";

export interface ProgressView {
  update(progress: Progress): void;
  stop(): void;
}

// Without a terminal, one plain line this often is enough for a log.
const PLAIN_LINE_EVERY_MS = 5_000;

/** A progress bar on a terminal, plain lines otherwise (CI logs, pipes). */
export function createProgressView(stream: NodeJS.WriteStream): ProgressView {
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format:
        "simulate [{bar}] {percentage}% of simulated time | {events} events | {rate} events/s",
      hideCursor: true,
    });
    bar.start(100, 0, { events: 0, rate: 0 });
    return {
      update(progress) {
        bar.update(Math.floor(progress.done * 100), {
          events: progress.events,
          rate: eventsPerSecond(progress),
        });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastLineAt = -Infinity;
  return {
    update(progress) {
      if (
        progress.elapsedMs - lastLineAt < PLAIN_LINE_EVERY_MS &&
        progress.done < 1
      )
        return;
      lastLineAt = progress.elapsedMs;
      stream.write(
        `simulate: ${Math.floor(progress.done * 100)}% of simulated time, ${progress.events} events, ${eventsPerSecond(progress)} events/s\n`,
      );
    },
    stop() {},
  };
}

function eventsPerSecond(progress: Progress): number {
  return Math.round((progress.events / Math.max(1, progress.elapsedMs)) * 1000);
}
