/**
 * Subject identifiers (RFC 9493, SSF 1.0 §3). A stream chooses how its agents are named with
 * the Warden extension field `subject_format`. The default, `auto`, is what the CAEP
 * interoperability profile's receivers expect (§2.5): `email` for an agent whose id is an
 * email address, else `iss_sub` under the tenant's agent issuer — so two tenants'
 * `support-bot-1` are two subjects. `complex` adds the tenant as a member; `opaque` (the bare
 * agent id) is only for streams of one tenant.
 */
export const SubjectFormat = {
  auto: "auto",
  issSub: "iss_sub",
  complex: "complex",
  opaque: "opaque",
} as const;
export type SubjectFormat = (typeof SubjectFormat)[keyof typeof SubjectFormat];
export const SUBJECT_FORMATS: readonly SubjectFormat[] =
  Object.values(SubjectFormat);
export const DEFAULT_SUBJECT_FORMAT: SubjectFormat = SubjectFormat.auto;

export type SimpleSubject =
  | { readonly format: "opaque"; readonly id: string }
  | { readonly format: "iss_sub"; readonly iss: string; readonly sub: string }
  | { readonly format: "email"; readonly email: string }
  | { readonly format: "uri"; readonly uri: string };

export interface ComplexSubject {
  readonly format: "complex";
  readonly user?: SimpleSubject;
  readonly tenant?: SimpleSubject;
  readonly session?: SimpleSubject;
  readonly application?: SimpleSubject;
}

export type Subject = SimpleSubject | ComplexSubject;

export interface AgentRef {
  readonly tenant: string;
  readonly agentId: string;
}

/** The issuer in whose namespace a tenant's agent ids are unique (iss_sub's `iss`). */
export type SubjectIssuer = (tenant: string) => string;

/** The `{tenant}` placeholder of REVOKER_SUBJECT_ISSUER. */
export const TENANT_PLACEHOLDER = "{tenant}";

/**
 * The per-tenant agent issuer: a tenant's own (configured) issuer, else the template with the
 * tenant percent-encoded in place of `{tenant}` — distinct tenants, distinct issuers.
 */
export function subjectIssuer(
  template: string,
  perTenant: Readonly<Record<string, string>>,
): SubjectIssuer {
  return (tenant) =>
    Object.hasOwn(perTenant, tenant)
      ? (perTenant[tenant] as string)
      : template.replaceAll(TENANT_PLACEHOLDER, encodeURIComponent(tenant));
}

// RFC 5322 addr-spec, the common subset: what an IdP would take as an email subject.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

/**
 * The agent as a simple subject: its email address when its id is one and the stream is one
 * tenant's (an address alone does not say which tenant sent it), else iss_sub.
 */
function agentUser(
  agent: AgentRef,
  issuer: SubjectIssuer,
  singleTenant: boolean,
): SimpleSubject {
  return singleTenant && isEmailAddress(agent.agentId)
    ? { format: "email", email: agent.agentId }
    : { format: "iss_sub", iss: issuer(agent.tenant), sub: agent.agentId };
}

/**
 * The subject of an agent in the stream's format (RFC 9493 §3.2 members as SSF 1.0 §3.2
 * lists them). `singleTenant`: the stream belongs to one tenant, so email and opaque, which
 * do not carry the tenant, are unambiguous.
 */
export function agentSubject(
  agent: AgentRef,
  format: SubjectFormat,
  issuer: SubjectIssuer,
  singleTenant: boolean,
): Subject {
  switch (format) {
    case SubjectFormat.auto:
      return agentUser(agent, issuer, singleTenant);
    case SubjectFormat.issSub:
      return {
        format: "iss_sub",
        iss: issuer(agent.tenant),
        sub: agent.agentId,
      };
    case SubjectFormat.complex:
      return {
        format: "complex",
        user: agentUser(agent, issuer, singleTenant),
        tenant: { format: "opaque", id: agent.tenant },
      };
    case SubjectFormat.opaque:
      return singleTenant
        ? { format: "opaque", id: agent.agentId }
        : { format: "iss_sub", iss: issuer(agent.tenant), sub: agent.agentId };
  }
}

/** True when `subject` (as a receiver added or removed it) names this agent or its tenant. */
export function subjectNamesAgent(
  subject: unknown,
  agent: AgentRef,
  issuer: SubjectIssuer,
): boolean {
  if (typeof subject !== "object" || subject === null) return false;
  const record = subject as Record<string, unknown>;
  switch (record["format"]) {
    case "opaque":
      return record["id"] === agent.agentId;
    case "email":
      return (
        typeof record["email"] === "string" &&
        record["email"].toLowerCase() === agent.agentId.toLowerCase()
      );
    case "iss_sub":
      return (
        record["iss"] === issuer(agent.tenant) &&
        record["sub"] === agent.agentId
      );
    case "complex": {
      const members = ["user", "tenant", "session", "application"]
        .map((key) => record[key])
        .filter((member) => member !== undefined);
      if (members.length === 0) return false;
      // Every member given must match: a complex subject is a conjunction (RFC 9493 §3.2).
      return members.every(
        (member) =>
          subjectNamesAgent(member, agent, issuer) ||
          isTenantSubject(member, agent.tenant),
      );
    }
    default:
      return false;
  }
}

/**
 * The members of a subject as Okta's risk-events format puts them inside each event
 * (`subject: {user: …, tenant: …}`): a simple subject becomes the `user`.
 */
export function eventSubjectMembers(subject: Subject): Record<string, unknown> {
  if (subject.format !== "complex") return { user: subject };
  const { format: _complex, ...members } = subject;
  return members;
}

function isTenantSubject(subject: unknown, tenant: string): boolean {
  return (
    typeof subject === "object" &&
    subject !== null &&
    (subject as Record<string, unknown>)["format"] === "opaque" &&
    (subject as Record<string, unknown>)["id"] === tenant
  );
}

const text = (value: unknown): value is string =>
  typeof value === "string" && value !== "";

/** Members each simple format requires (RFC 9493 §3.2), with a check of their shape. */
const SIMPLE_FORMATS: Readonly<
  Record<string, readonly (readonly [string, (value: string) => boolean])[]>
> = {
  opaque: [["id", () => true]],
  iss_sub: [
    ["iss", () => true],
    ["sub", () => true],
  ],
  email: [["email", (value) => /^[^\s@]+@[^\s@]+$/.test(value)]],
  phone_number: [["phone_number", (value) => /^\+[1-9]\d{1,14}$/.test(value)]],
  account: [["uri", (value) => /^acct:[^\s@]+@[^\s@]+$/.test(value)]],
  uri: [["uri", (value) => URL.canParse(value)]],
  did: [["url", (value) => value.startsWith("did:")]],
};
/** SSF 1.0 §3.2: the members a complex subject may have. */
const COMPLEX_MEMBERS = [
  "user",
  "device",
  "session",
  "application",
  "tenant",
  "org_unit",
  "group",
] as const;

/**
 * What is wrong with a subject a receiver sent (RFC 9493 §3, SSF 1.0 §3.2), or undefined:
 * each format's required members as non-empty strings of the right shape, complex subjects
 * with at least one member and simple members only, aliases of non-alias subjects.
 */
export function subjectProblem(value: unknown, depth = 0): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return "a subject identifier is a JSON object";
  const record = value as Record<string, unknown>;
  const format = record["format"];
  if (!text(format)) return "a subject identifier needs a format";
  const members = SIMPLE_FORMATS[format];
  if (members) {
    for (const [name, shape] of members) {
      const member = record[name];
      if (!text(member) || !shape(member))
        return `a subject of format ${format} needs ${name} (RFC 9493)`;
    }
    return undefined;
  }
  if (format === "complex" && depth === 0) {
    const given = COMPLEX_MEMBERS.filter((name) => record[name] !== undefined);
    if (given.length === 0)
      return `a complex subject needs one of ${COMPLEX_MEMBERS.join(", ")}`;
    for (const name of given) {
      const problem = subjectProblem(record[name], depth + 1);
      if (problem) return `complex ${name}: ${problem}`;
    }
    return undefined;
  }
  if (format === "aliases" && depth === 0) {
    const identifiers = record["identifiers"];
    if (!Array.isArray(identifiers) || identifiers.length === 0)
      return "an aliases subject needs a non-empty identifiers array";
    for (const identifier of identifiers) {
      const problem = subjectProblem(identifier, depth + 1);
      if (problem) return `aliases: ${problem}`;
    }
    return undefined;
  }
  return depth > 0
    ? `format ${format} cannot be nested here`
    : `format ${format} is not supported`;
}

/** Stable text of a subject, to compare added and removed subjects. */
export function subjectKey(subject: Subject): string {
  return JSON.stringify(sortKeys(subject));
}

function sortKeys(value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}
