// Normal traffic of the crossgen population: sessions drawn from each agent's rhythm (business
// hours in the tenant's time zone, 24/7, nightly runs, deploy jobs), each a workflow of tool
// calls, plus the scheduled work real fleets have (nightly reconciliations and loads, drift
// checks, campaign sends, periodic full scans).
import { KINDS } from "./catalogue.mjs";
import { credentialAt, podAt, HOUR, DAY } from "./population.mjs";

const AWS_TYPES = new Set([
  "iam_role",
  "iam_policy",
  "iam_user",
  "bucket_policy",
  "bucket",
  "kms_key",
  "function",
  "ec2_instance",
  "security_group",
  "vpc",
  "dataset",
]);
const NEW_RESOURCE = {
  pull_request: 0.2,
  diff: 0.2,
  contract: 0.05,
  invoice: 0.3,
  purchase_order: 0.5,
  leave_request: 0.6,
  hr_ticket: 0.6,
  comment: 0.9,
  check_run: 0.9,
  finding: 0.8,
  journal: 0.5,
  approval: 0.7,
  host: 0.03,
};
const DURATION = {
  read: 45,
  write: 90,
  delete: 80,
  export: 2500,
  admin: 160,
  execute: 900,
  delegate: 300,
  auth: 30,
};
const BUSINESS = [
  0, 0, 0, 0, 0, 0, 0, 0.2, 0.6, 1, 1.2, 1.2, 0.6, 0.9, 1.2, 1.1, 1, 0.6, 0.2,
  0, 0, 0, 0, 0,
];
const EXTENDED = [
  0.03, 0.02, 0.02, 0.02, 0.03, 0.05, 0.2, 0.5, 0.9, 1.1, 1.2, 1.1, 0.8, 1, 1.2,
  1.2, 1.1, 0.9, 0.6, 0.5, 0.4, 0.3, 0.15, 0.06,
];

/** Local hour (0..23) and weekday (0 = Sunday) of a UTC instant in the tenant's zone. */
export function localTime(tenant, ms) {
  const local = new Date(ms + tenant.offsetH * HOUR);
  return {
    hour: local.getUTCHours(),
    weekday: local.getUTCDay(),
    minute: local.getUTCMinutes(),
  };
}

/** Sessions per hour, relative to a weekday's total of 1. */
function shape(rhythm, hour, weekday) {
  const weekend = weekday === 0 || weekday === 6;
  switch (rhythm) {
    case "business":
    case "deploys": {
      // A sliver of night and weekend work: people on call, a lawyer before a deadline.
      const w = BUSINESS[hour] || 0.004;
      return (weekend ? w * 0.04 : w) / 10.7;
    }
    case "extended":
      return (weekend ? EXTENDED[hour] * 0.2 : EXTENDED[hour]) / 14.6;
    case "nightly":
      // The nightly run is scheduled separately; daytime is analysts' ad-hoc queries.
      return (weekend ? 0 : BUSINESS[hour]) / 10.7;
    default:
      return (0.8 + 0.4 * Math.sin(((hour - 6) / 24) * 2 * Math.PI)) / 24;
  }
}

export function createEmitter(random) {
  const events = [];
  let counter = 0;
  const resourceId = (agent, name, tool) => {
    if (tool.type === "payment") return random.pick(agent.counterparties);
    if (tool.type === "email") return random.pick(agent.counterparties);
    let pool = agent.resources.get(tool.type);
    if (!pool) {
      pool = Array.from({ length: random.int(6, 30) }, () =>
        newResource(random, agent, tool.type),
      );
      agent.resources.set(tool.type, pool);
    }
    if (random.chance(NEW_RESOURCE[tool.type] ?? 0.01)) {
      pool.push(newResource(random, agent, tool.type));
      return pool[pool.length - 1];
    }
    return pool[random.zipf(pool.length)];
  };

  /**
   * One audit event. `o` overrides what an attack or a trap changes: tool (a call outside the
   * kind's catalogue), ip, userAgent, instance, credential, resource, outcome, bytes, records,
   * delegation, onBehalfOf, session, as (another agent id using this agent's credential), tag.
   */
  function emit(agent, ms, name, o = {}) {
    const tool = o.tool ?? KINDS[agent.kind].tools[name];
    const pod = podAt(agent, ms);
    const credential = o.credential ?? credentialAt(agent, ms);
    const deniedRate = KINDS[agent.kind]?.deniedRate ?? 0.006;
    const outcome =
      o.outcome ??
      (random.chance(deniedRate)
        ? "denied"
        : random.chance(0.004)
          ? "error"
          : "success");
    const ok = outcome === "success";
    const bytes =
      o.bytes ??
      (ok
        ? Math.round(random.logNormal(tool.bytes, tool.sd))
        : random.int(90, 400));
    const [rmin, rmax] = tool.records;
    const records = o.records ?? (ok ? random.int(rmin, rmax) : 0);
    counter += 1;
    const event = {
      schema: "agent-audit/v1",
      event_id: `cg_${random.hex(14)}${counter.toString(16).padStart(8, "0")}`,
      time: new Date(Math.round(ms)).toISOString(),
      tenant: agent.tenant.name,
      agent: {
        id: o.as ?? agent.id,
        ...(o.noKind ? {} : { kind: agent.kind }),
        owner: agent.owner,
        instance: o.instance ?? pod.instance,
      },
      ...(o.onBehalfOf ? { on_behalf_of: o.onBehalfOf } : {}),
      ...(o.delegation ? { delegation: o.delegation } : {}),
      credential: {
        id: credential.id,
        type: credential.type,
        ...(credential.issuer ? { issuer: credential.issuer } : {}),
        ...(agent.scopes.length ? { scopes: agent.scopes } : {}),
        ...(credential.expiresMs === undefined
          ? {}
          : { expires_at: new Date(credential.expiresMs).toISOString() }),
      },
      action: {
        name,
        verb: tool.verb,
        target: o.target ?? targetOf(agent, name),
      },
      resource: {
        id: o.resource ?? resourceId(agent, name, tool),
        type: tool.type,
        sensitivity: tool.sensitivity,
      },
      outcome,
      status_code: ok
        ? tool.verb === "write"
          ? 201
          : 200
        : outcome === "denied"
          ? 403
          : random.pick([500, 503, 429]),
      bytes_out: bytes,
      ...(tool.verb === "write" || tool.verb === "execute"
        ? { bytes_in: Math.round(random.logNormal(2048, 0.8)) }
        : {}),
      ...(records > 0 ? { records } : {}),
      duration_ms:
        Math.round(random.logNormal(DURATION[tool.verb] ?? 100, 0.6) * 10) / 10,
      source: {
        ip: o.ip ?? pod.ip,
        user_agent: o.userAgent ?? agent.userAgent,
        gateway: o.gateway ?? gatewayOf(agent, ms),
      },
      session_id: o.session ?? `ses_${random.hex(12)}`,
      trace_id: random.hex(32),
      ...(o.attributes ? { attributes: o.attributes } : {}),
    };
    events.push({
      ms,
      event,
      tag: o.tag,
      agentKey: `${agent.tenant.name}/${event.agent.id}`,
    });
    return event;
  }
  return { emit, events };
}

function newResource(random, agent, type) {
  const acct = agent.tenant.account;
  const name = `${agent.team}-${random.hex(6)}`;
  if (!AWS_TYPES.has(type))
    return `${type}:${agent.tenant.name.slice(0, 3)}-${random.int(10000, 99999)}`;
  switch (type) {
    case "iam_role":
      return `arn:aws:iam::${acct}:role/${name}`;
    case "iam_policy":
      return `arn:aws:iam::${acct}:policy/${name}`;
    case "iam_user":
      return `arn:aws:iam::${acct}:user/${name}`;
    case "bucket_policy":
    case "bucket":
      return `arn:aws:s3:::${agent.tenant.name}-${name}`;
    case "dataset":
      return `arn:aws:s3:::${agent.tenant.name}-lake/${agent.team}/${random.pick(["events", "orders", "sessions", "invoices", "clicks"])}/dt=2026-11-${random.int(10, 24)}/part-${random.int(0, 63)}.parquet`;
    case "kms_key":
      return `arn:aws:kms:${agent.region}:${acct}:key/${random.hex(8)}-${random.hex(4)}-${random.hex(4)}`;
    case "function":
      return `arn:aws:lambda:${agent.region}:${acct}:function:${name}`;
    default:
      return `arn:aws:ec2:${agent.region}:${acct}:${type.replace("ec2_", "").replace("_", "-")}/${type.slice(0, 3)}-${random.hex(17)}`;
  }
}

function targetOf(agent, name) {
  const aws = name.match(/^([a-z0-9]+):/);
  if (aws)
    return aws[1] === "iam" || aws[1] === "sts"
      ? `https://${aws[1]}.amazonaws.com`
      : `https://${aws[1]}.${agent.region}.amazonaws.com`;
  if (name === "llm.complete")
    return `https://llm-gateway.${agent.tenant.name}.example/v1/chat/completions`;
  if (name === "mail.send") return "https://api.mailrelay.example/v3/mail/send";
  const [service, ...rest] = name.split(".");
  return `https://${service}.${agent.tenant.name}.example/api/${rest.join("/")}`;
}

function gatewayOf(agent, ms) {
  if (agent.gatewayOverride && ms >= agent.gatewayOverride.fromMs)
    return agent.gatewayOverride.gateway;
  return KINDS[agent.kind]?.credential === "jit_token"
    ? `cloudtrail/${agent.region}`
    : `gw-${agent.tenant.name}-${agent.region}`;
}

/** One workflow run: its steps in order, with the kind's own pace between calls. */
export function runWorkflow(ctx, agent, startMs, steps, o = {}) {
  const { random, emit } = ctx;
  const kind = KINDS[agent.kind];
  const pace =
    o.paceMs ??
    (kind.rhythm === "deploys" ? 350 : kind.rhythm === "always" ? 1500 : 4000);
  const session = o.session ?? `ses_${random.hex(12)}`;
  const human = kind.delegatedHuman
    ? (o.onBehalfOf ?? random.pick(agent.humans))
    : undefined;
  let at = startMs;
  for (const [name, lo, hi] of steps) {
    if (o.only && !o.only(kind.tools[name])) continue;
    const n = random.int(lo, hi);
    for (let i = 0; i < n; i += 1) {
      emit(agent, at, name, { session, onBehalfOf: human, ...o.event });
      if (kind.tools[name].verb === "delegate")
        delegateFrom(ctx, agent, at, human);
      at += random.logNormal(pace, 0.7);
    }
  }
  return at;
}

/** A delegated sub-task: the partner agent works under the delegator's chain. */
function delegateFrom(ctx, agent, ms, human) {
  const partner = agent.delegates.length
    ? ctx.random.pick(agent.delegates)
    : undefined;
  if (!partner) return;
  const workflow = KINDS[partner.kind].workflows[0][1];
  runWorkflow(ctx, partner, ms + 800, workflow.slice(0, 3), {
    onBehalfOf: human,
    event: { delegation: [agent.id, partner.id] },
    paceMs: 2500,
  });
}

function workflowOf(ctx, agent) {
  const flows = KINDS[agent.kind].workflows;
  return flows[ctx.random.weighted(agent.workflowWeights)][1];
}

export function normalTraffic(ctx, agent, startMs, endMs) {
  const { random } = ctx;
  const kind = KINDS[agent.kind];
  if (kind.rhythm === "deploys") deployJobs(ctx, agent, startMs, endMs);
  for (
    let hourMs = startMs;
    kind.rhythm !== "deploys" && hourMs < endMs;
    hourMs += HOUR
  ) {
    const { hour, weekday } = localTime(agent.tenant, hourMs);
    const mean = kind.perDay * agent.scale * shape(kind.rhythm, hour, weekday);
    const sessions = random.poisson(mean);
    for (let s = 0; s < sessions; s += 1) {
      runWorkflow(
        ctx,
        agent,
        hourMs + random.next() * HOUR,
        workflowOf(ctx, agent),
      );
    }
  }
  scheduledWork(ctx, agent, startMs, endMs);
}

/** What real fleets run on a timer, at the same local time every day (give or take). */
function scheduledWork(ctx, agent, startMs, endMs) {
  const { random } = ctx;
  const kind = KINDS[agent.kind];
  const offset = -agent.tenant.offsetH * HOUR;
  for (let day = startMs - DAY; day < endMs + DAY; day += DAY) {
    const localMidnight = day + offset;
    const { weekday } = localTime(agent.tenant, localMidnight + 12 * HOUR);
    const at = (h) => localMidnight + h * HOUR + random.between(0, 12 * 60_000);
    const inRun = (ms) => ms >= startMs && ms < endMs;
    if (agent.kind === "finance-reconciler" && inRun(at(1))) {
      let t = at(1);
      for (let i = random.int(12, 25); i > 0; i -= 1)
        t = runWorkflow(
          ctx,
          agent,
          t,
          kind.workflows[random.chance(0.8) ? 0 : 1][1],
          { paceMs: 600 },
        );
      ctx.emit(agent, t + 2000, "report.export");
    }
    if (agent.kind === "data-pipeline" && inRun(at(0.5))) {
      let t = at(0.5);
      for (let i = random.int(8, 20); i > 0; i -= 1)
        t = runWorkflow(
          ctx,
          agent,
          t,
          kind.workflows[1 + random.int(0, 1)][1],
          { paceMs: 900 },
        );
    }
    if (agent.kind === "infra-terraform" && inRun(at(2))) {
      runWorkflow(ctx, agent, at(2), kind.workflows[0][1], {
        only: (tool) => tool.verb === "read" || tool.verb === "auth",
        event: infraJob(ctx, agent, at(2)),
      });
    }
    if (
      agent.kind === "marketing-mailer" &&
      (weekday === 2 || weekday === 4) &&
      random.chance(0.6) &&
      inRun(at(10))
    ) {
      campaignSend(
        ctx,
        agent,
        at(10),
        random.pick(agent.counterparties),
        random.int(80, 300),
      );
    }
    if (agent.kind === "security-scanner") {
      for (const h of [3, 9, 15, 21])
        if (inRun(at(h)))
          runWorkflow(
            ctx,
            agent,
            at(h),
            [
              ["iam:ListUsers", 1, 1],
              ["s3:GetBucketAcl", 20, 60],
              ["ec2:DescribeSecurityGroups", 5, 15],
              ["findings.create", 0, 4],
            ],
            { paceMs: 400 },
          );
    }
  }
}

export function campaignSend(ctx, agent, ms, segment, count, extra = {}) {
  const session = `ses_${ctx.random.hex(12)}`;
  ctx.emit(agent, ms, "contacts.segments.query", {
    session,
    resource: segment.replace("segment:", "contact_list:"),
    ...extra,
  });
  ctx.emit(agent, ms + 3000, "templates.render", { session, ...extra });
  for (let i = 0; i < count; i += 1)
    ctx.emit(
      agent,
      ms + 6000 + i * ctx.random.between(1500, 4000),
      "mail.send",
      { session, resource: segment, ...extra },
    );
}

/**
 * A CI job's own context: runners are a pool of addresses, and each job assumes the role afresh
 * (a new STS session), so these change per deploy however normal the deploy is.
 */
export function infraJob(ctx, agent, startMs) {
  const { random } = ctx;
  const runner = random.int(10, 40);
  return {
    ip: `10.${agent.tenant.net}.200.${runner}`,
    instance: `gha-runner-${agent.tenant.name}-${runner}`,
    credential: {
      id: `ASIA${random.upper(16)}`,
      type: "jit_token",
      issuer: "sts.amazonaws.com",
      expiresMs: startMs + HOUR,
    },
  };
}

export function deployJobs(ctx, agent, startMs, endMs) {
  const { random } = ctx;
  const kind = KINDS[agent.kind];
  for (let hourMs = startMs; hourMs < endMs; hourMs += HOUR) {
    const { hour, weekday } = localTime(agent.tenant, hourMs);
    const jobs = random.poisson(
      kind.perDay * agent.scale * shape("deploys", hour, weekday),
    );
    for (let j = 0; j < jobs; j += 1) {
      const start = hourMs + random.next() * HOUR;
      const job = infraJob(ctx, agent, start);
      runWorkflow(ctx, agent, start, workflowOf(ctx, agent), { event: job });
    }
  }
}
