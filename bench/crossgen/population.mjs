// The crossgen population: agents with tenants, owners, networks, credentials (with expiries and
// rotation) and personal habits (each agent reweights its kind's workflows and keeps its own
// working set of resources and counterparties).
import { KINDS, TENANTS, TEAMS } from "./catalogue.mjs";
import { hashHex } from "./random.mjs";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const REGIONS = {
  northwind: "us-east-1",
  contoso: "eu-west-1",
  fabrikam: "ap-northeast-1",
  tailspin: "eu-west-2",
};
const SCOPES = {
  "legal-review": ["contracts.read", "contracts.annotate", "matters.read"],
  "procurement-bot": [
    "vendors.read",
    "po.write",
    "payments.write",
    "approvals.write",
  ],
  "code-reviewer": ["pull_requests:write", "contents:read", "checks:write"],
  "hr-assistant": ["people.read", "leave.write", "payroll.self.read"],
};
const FIRST = [
  "ana",
  "ben",
  "chloe",
  "dev",
  "emeka",
  "fatima",
  "goran",
  "hana",
  "ivan",
  "jia",
  "kofi",
  "lena",
  "mateo",
  "nora",
  "omar",
  "priya",
];

const pad = (n) => String(n).padStart(2, "0");

function agentId(kind, tenant, n, team) {
  switch (kind) {
    case "infra-terraform":
      return `arn:aws:iam::${tenant.account}:role/tf-deployer-${team}-${pad(n)}`;
    case "data-pipeline":
      return `arn:aws:iam::${tenant.account}:role/etl-${team}-${pad(n)}`;
    case "security-scanner":
      return `spiffe://${tenant.name}.internal/secops/scanner-${pad(n)}`;
    default:
      return `agt_${tenant.name}_${kind.replace(/-/g, "_")}_${pad(n)}`;
  }
}

/** Credential epochs: [{fromMs, toMs, id, type, issuer, expiresMs}], covering the whole run. */
function credentialPlan(random, kindName, agent, startMs, endMs) {
  const kind = KINDS[kindName];
  const type = kind.credential;
  const tenant = agent.tenant;
  const plan = [];
  if (type === "oauth_token" || type === "jit_token") {
    // Short-lived tokens: a fresh one every period, valid for the period plus a margin.
    const period = type === "oauth_token" ? HOUR : 6 * HOUR;
    const phase = Math.floor(random.next() * period);
    for (let from = startMs - phase; from < endMs; from += period) {
      const id =
        type === "jit_token"
          ? `ASIA${hashHex(`${agent.id}|${from}`, 16).toUpperCase()}`
          : `jti_${hashHex(`${agent.id}|${from}`, 20)}`;
      plan.push({
        fromMs: from,
        toMs: from + period,
        id,
        type,
        issuer:
          type === "jit_token"
            ? "sts.amazonaws.com"
            : `https://login.${tenant.name}.example/oauth2`,
        expiresMs: from + period + 5 * 60_000,
      });
    }
    return plan;
  }
  // Long-lived keys and certificates: issued some time before the run; rotated when they near
  // expiry (or, for some, on a fixed schedule that falls inside the run).
  const lifetime = type === "mtls" ? 30 * DAY : 90 * DAY;
  let issued = startMs - Math.floor(random.between(0.2, 0.95) * lifetime);
  const idOf = (at) =>
    type === "mtls"
      ? `serial:${hashHex(`${agent.id}|${at}`, 24)}`
      : `ak_live_${hashHex(`${agent.id}|${at}`, 24)}`;
  for (;;) {
    const renewAt =
      issued + Math.floor(lifetime * (type === "mtls" ? 0.66 : 0.9));
    plan.push({
      fromMs: issued,
      toMs: renewAt,
      id: idOf(issued),
      type,
      issuer:
        type === "mtls"
          ? `CN=${tenant.name} Workload CA 2`
          : `https://keys.${tenant.name}.example`,
      expiresMs: issued + lifetime,
    });
    if (renewAt >= endMs) return plan;
    issued = renewAt;
  }
}

export function buildAgent(random, kindName, n, tenant, startMs, endMs) {
  const kind = KINDS[kindName];
  const team = random.pick(TEAMS);
  const owner = `${random.pick(FIRST)}.${team}@${tenant.name}.example`;
  const id = agentId(kindName, tenant, n, team);
  const kindIndex = Object.keys(KINDS).indexOf(kindName);
  const subnet = `10.${tenant.net + (kindIndex % 4)}.${kindIndex * 10 + random.int(0, 2)}`;
  const agent = {
    id,
    kind: kindName,
    tenant,
    team,
    owner,
    region: REGIONS[tenant.name],
    scale: random.logNormal(1, 0.45),
    // Each agent leans on its kind's workflows differently; some never use one at all.
    workflowWeights: kind.workflows.map(([w], i) =>
      i > 0 && random.chance(0.2) ? 0 : w * random.logNormal(1, 0.5),
    ),
    subnet,
    pods: [],
    credentials: [],
    resources: new Map(),
    counterparties: [],
    delegates: [],
    humans: Array.from(
      { length: random.int(3, 12) },
      () => `${random.pick(FIRST)}${random.int(1, 99)}@${tenant.name}.example`,
    ),
    scopes: SCOPES[kindName] ?? [],
    userAgent: kind.userAgent,
  };
  agent.credentials = credentialPlan(random, kindName, agent, startMs, endMs);
  // Pods restart every day or two; each one has its own address in the agent's subnet.
  for (
    let at = startMs - DAY;
    at < endMs;
    at += random.logNormal(30 * HOUR, 0.5)
  ) {
    agent.pods.push({
      fromMs: at,
      ip: `${subnet}.${random.int(10, 250)}`,
      instance: `${kindName.split("-")[0]}-${hashHex(`${id}|${at}`, 10)}`,
    });
  }
  return agent;
}

export function buildPopulation(random, agentCount, startMs, endMs) {
  const names = Object.keys(KINDS);
  const shares = names.map((k) => KINDS[k].share);
  const totalShare = shares.reduce((a, s) => a + s, 0);
  const agents = [];
  for (const kindName of names) {
    const count = Math.max(
      2,
      Math.round((KINDS[kindName].share / totalShare) * agentCount),
    );
    const perTenant = new Map();
    for (let i = 0; i < count; i += 1) {
      const tenant = TENANTS[(i + names.indexOf(kindName)) % TENANTS.length];
      const n = (perTenant.get(tenant.name) ?? 0) + 1;
      perTenant.set(tenant.name, n);
      agents.push(buildAgent(random, kindName, n, tenant, startMs, endMs));
    }
  }
  linkPopulation(random, agents);
  return agents;
}

/** Vendors, mail segments, treasury accounts and delegation partners, within each tenant. */
function linkPopulation(random, agents) {
  for (const tenant of TENANTS) {
    const mine = agents.filter((a) => a.tenant === tenant);
    const vendors = Array.from(
      { length: 80 },
      (_, i) => `payee:V${tenant.net}${String(1000 + i * 7)}`,
    );
    const byKind = (k) => mine.filter((a) => a.kind === k);
    for (const agent of mine) {
      if (agent.kind === "procurement-bot")
        agent.counterparties = Array.from({ length: random.int(10, 22) }, () =>
          random.pick(vendors),
        );
      if (agent.kind === "finance-reconciler")
        agent.counterparties = Array.from(
          { length: random.int(3, 6) },
          (_, i) => `account:${tenant.name.toUpperCase()}-TREASURY-${i + 1}`,
        );
      if (agent.kind === "marketing-mailer")
        agent.counterparties = Array.from(
          { length: random.int(4, 9) },
          (_, i) =>
            `segment:${agent.team}-${["newsletter", "winback", "trial", "webinar", "renewal", "launch", "survey", "events", "partners"][i]}`,
        );
      if (agent.kind === "procurement-bot" && byKind("legal-review").length)
        agent.delegates = [
          random.pick(byKind("legal-review")),
          random.pick(byKind("legal-review")),
        ];
      if (agent.kind === "code-reviewer" && byKind("security-scanner").length)
        agent.delegates = [random.pick(byKind("security-scanner"))];
    }
  }
}

export function credentialAt(agent, ms) {
  const list = agent.credentials;
  let found = list[0];
  for (const c of list) if (c.fromMs <= ms) found = c;
  return found;
}

export function podAt(agent, ms) {
  let found = agent.pods[0];
  for (const p of agent.pods) if (p.fromMs <= ms) found = p;
  return found;
}

export { HOUR, DAY };
