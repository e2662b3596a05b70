/**
 * The one base error of Warden. `retriable` tells the retry helper whether trying
 * again can help; subclasses carry typed fields instead of baking data into text.
 */
export class WardenError extends Error {
  readonly retriable: boolean;

  constructor(
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** A configuration problem found at start-up; `problems` names every bad variable. */
// Variables whose values are secrets: a start-up error names them but never repeats the value.
const SECRET_VARIABLE =
  /TOKEN|SECRET|PASSWORD|AUTHORIZATION|CREDENTIAL|PRIVATE|CONNECTORS|_KEY$/u;
// Credentials in a URL's userinfo (scheme://user:password@host) in any echoed value.
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"]+@/giu;
// How validators echo the value they refused: `got "…"`, envalid's `Value "…"`.
const ECHOED_VALUE = /((?:got|Value) )"(?:[^"\\]|\\.)*"/gu;

/**
 * What a configuration problem may say out loud (issue 16: no secret in a start-up error or
 * log): URL userinfo is always masked, and a secret variable's value is never echoed.
 */
export function redactProblem(variable: string, expected: string): string {
  const masked = expected.replace(URL_USERINFO, "$1[redacted]@");
  return SECRET_VARIABLE.test(variable)
    ? masked.replace(ECHOED_VALUE, '$1"[redacted]"')
    : masked;
}

export class ConfigError extends WardenError {
  readonly problems: readonly {
    readonly variable: string;
    readonly expected: string;
  }[];

  constructor(
    problems: readonly {
      readonly variable: string;
      readonly expected: string;
    }[],
  ) {
    const redacted = problems.map((problem) => ({
      variable: problem.variable,
      expected: redactProblem(problem.variable, problem.expected),
    }));
    super(
      `invalid configuration: ${redacted.map((p) => `${p.variable} (${p.expected})`).join("; ")}`,
    );
    this.problems = redacted;
  }
}

/** A server Warden depends on could not be reached or answered with an error. */
export class DependencyError extends WardenError {
  readonly dependency: string;

  constructor(
    dependency: string,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(`${dependency}: ${message}`, { retriable: true, ...options });
    this.dependency = dependency;
  }
}

export function isRetriable(error: unknown): boolean {
  if (error instanceof WardenError) return error.retriable;
  // Library errors that say so themselves (kafkajs sets `retriable`).
  return (
    typeof error === "object" &&
    error !== null &&
    (error as { retriable?: unknown }).retriable === true
  );
}

/** One line for a person: the message and the chain of causes, no stack. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (
    let depth = 0;
    current !== undefined && current !== null && depth < 5;
    depth += 1
  ) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(
        typeof current === "string" ? current : JSON.stringify(current),
      );
      current = undefined;
    }
  }
  return parts.join(": caused by ");
}
