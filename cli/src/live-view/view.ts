import {
  formatDashboard,
  formatPlainLine,
  type DemoSnapshot,
} from "./format.js";

/**
 * The demo's live view: on a terminal a block redrawn in place (lines printed through `log`
 * scroll above it); anywhere else one plain line every `plainEveryMs`, so logs stay readable.
 */
export interface LiveView {
  /** Prints a line that stays (a SET received, a phase change). */
  log(line: string): void;
  /** Stops redrawing; the last block (or line) stays on screen. */
  stop(): void;
}

const ERASE_DOWN = "\u001b[J";
const upLines = (n: number): string => `\u001b[${n}F`;

export function createLiveView(options: {
  readonly write: (text: string) => void;
  readonly tty: boolean;
  readonly redrawMs: number;
  readonly plainEveryMs: number;
  readonly snapshot: () => DemoSnapshot;
  /** Terminal width: longer lines are cut, since a wrapped line would break the redraw. */
  readonly columns?: () => number | undefined;
}): LiveView {
  const { write } = options;
  let drawn = 0;
  const erase = (): void => {
    if (drawn > 0) write(`${upLines(drawn)}${ERASE_DOWN}`);
    drawn = 0;
  };
  const draw = (): void => {
    const width = options.columns?.();
    const lines = formatDashboard(options.snapshot()).map((line) =>
      width !== undefined && width > 1 && line.length >= width
        ? line.slice(0, width - 1)
        : line,
    );
    write(`${lines.join("\n")}\n`);
    drawn = lines.length;
  };
  const timer = options.tty
    ? setInterval(() => {
        erase();
        draw();
      }, options.redrawMs)
    : setInterval(
        () => write(`${formatPlainLine(options.snapshot())}\n`),
        options.plainEveryMs,
      );
  if (options.tty) draw();
  let stopped = false;
  return {
    log(line) {
      if (!options.tty || stopped) {
        write(`${line}\n`);
        return;
      }
      erase();
      write(`${line}\n`);
      draw();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (options.tty) {
        erase();
        draw();
      } else write(`${formatPlainLine(options.snapshot())}\n`);
    },
  };
}
