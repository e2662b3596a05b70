import { InvalidArgumentError } from "commander";
import {
  ATTACK_KINDS,
  TRAP_KINDS,
  parseEpisodeList,
  type AttackKind,
  type EpisodeRequest,
  type TrapKind,
} from "@warden/simulator";

/**
 * `warden simulate`'s options, checked together and compiled once into complete settings.
 * Pure (the clock is passed in), so every rule below is unit-tested.
 */
export const DEFAULT_SEED = 1;
export const DEFAULT_AGENTS = 100;
export const DEFAULT_DAYS = 2;
export const DEFAULT_BATCH = 500;
export const MAX_AGENTS = 5_000_000;

export interface RawSimulateOptions {
  readonly seed: number;
  readonly agents: number;
  readonly days?: number;
  readonly duration?: number;
  readonly start?: string;
  readonly events?: number;
  readonly scale?: number;
  readonly rate?: number;
  readonly attacks: string;
  readonly traps: string;
  readonly learning: number;
  readonly out?: string;
  readonly labels?: string;
  readonly kafka: boolean;
  readonly http?: string;
  readonly batch: number;
  readonly json: boolean;
}

export type Output =
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "kafka" }
  | { readonly kind: "http"; readonly url: string };

export interface SimulateSettings {
  readonly seed: number;
  readonly agents: number;
  readonly startMs: number;
  readonly durationMs: number;
  readonly targetEvents: number | undefined;
  readonly scale: number | undefined;
  readonly live: boolean;
  readonly attacks: readonly EpisodeRequest<AttackKind>[];
  readonly traps: readonly EpisodeRequest<TrapKind>[];
  readonly learningFraction: number;
  readonly output: Output;
  readonly labelsPath: string | undefined;
  readonly batchSize: number;
  readonly json: boolean;
}

const DAY_MS = 86_400_000;
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: DAY_MS,
};

// Parsers for commander: each throws InvalidArgumentError saying what it expects.

export function parseWholeNumber(
  min: number,
  max: number,
): (value: string) => number {
  return (value) => {
    const number = Number(value);
    if (
      value.trim() === "" ||
      !Number.isInteger(number) ||
      number < min ||
      number > max
    )
      throw new InvalidArgumentError(`a whole number ${min}-${max}`);
    return number;
  };
}

export function parsePositive(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number <= 0)
    throw new InvalidArgumentError("a number above 0");
  return number;
}

export function parseFraction(value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !(number >= 0 && number < 1))
    throw new InvalidArgumentError("a number from 0 up to (not including) 1");
  return number;
}

export function parseDuration(value: string): number {
  const match = DURATION_PATTERN.exec(value.trim());
  const ms = match
    ? Number(match[1]) * (DURATION_UNITS_MS[match[2] ?? "ms"] ?? 1)
    : NaN;
  if (!(ms > 0))
    throw new InvalidArgumentError("a duration like 90s, 10m, 6h or 3d");
  return Math.round(ms);
}

/** Checks the options against each other; `nowMs` decides default start times. */
export function resolveSimulateOptions(
  raw: RawSimulateOptions,
  nowMs: number,
): SimulateSettings {
  const outputs = [
    raw.out !== undefined,
    raw.kafka,
    raw.http !== undefined,
  ].filter(Boolean).length;
  if (outputs !== 1)
    throw new InvalidArgumentError(
      "choose exactly one output: --out <file>, --kafka or --http <url>",
    );
  if (raw.days !== undefined && raw.duration !== undefined)
    throw new InvalidArgumentError(
      "--days and --duration say the same thing: give one",
    );
  const volume = [
    raw.events !== undefined,
    raw.scale !== undefined,
    raw.rate !== undefined,
  ].filter(Boolean).length;
  if (volume > 1)
    throw new InvalidArgumentError(
      "--events, --scale and --rate each set the volume: give one",
    );
  if (raw.json && raw.out === "-")
    throw new InvalidArgumentError(
      "--json prints the summary on stdout, which --out - already uses",
    );
  if (raw.http !== undefined && !/^https?:\/\/./.test(raw.http))
    throw new InvalidArgumentError("--http takes an http:// or https:// URL");
  const durationMs =
    raw.duration ?? Math.round((raw.days ?? DEFAULT_DAYS) * DAY_MS);
  const live = raw.rate !== undefined;
  const startMs =
    raw.start !== undefined
      ? parseStart(raw.start)
      : live
        ? nowMs
        : Math.floor(nowMs / DAY_MS) * DAY_MS - durationMs;
  const output: Output =
    raw.out !== undefined
      ? { kind: "file", path: raw.out }
      : raw.kafka
        ? { kind: "kafka" }
        : { kind: "http", url: raw.http ?? "" };
  return {
    seed: raw.seed,
    agents: raw.agents,
    startMs,
    durationMs,
    targetEvents: live
      ? Math.max(1, Math.round(((raw.rate ?? 0) * durationMs) / 1000))
      : raw.events,
    scale: raw.scale,
    live,
    attacks: episodes(raw.attacks, ATTACK_KINDS, "--attacks"),
    traps: episodes(raw.traps, TRAP_KINDS, "--traps"),
    learningFraction: raw.learning,
    output,
    labelsPath: raw.labels ?? defaultLabelsPath(raw.out),
    batchSize: raw.batch,
    json: raw.json,
  };
}

function parseStart(text: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms))
    throw new InvalidArgumentError(
      "--start takes an RFC 3339 time or a date, e.g. 2026-11-02T00:00:00Z",
    );
  return ms;
}

function episodes<K extends AttackKind | TrapKind>(
  text: string,
  known: readonly K[],
  flag: string,
): EpisodeRequest<K>[] {
  try {
    return parseEpisodeList(text, known);
  } catch (error) {
    throw new InvalidArgumentError(`${flag}: ${(error as Error).message}`);
  }
}

/** `traffic.ndjson.gz` → `traffic.labels.ndjson`; none for stdout or non-file outputs. */
export function defaultLabelsPath(out: string | undefined): string | undefined {
  if (out === undefined || out === "-") return undefined;
  const stem = out.replace(/(\.ndjson)?(\.gz)?$/, "");
  return `${stem}.labels.ndjson`;
}
