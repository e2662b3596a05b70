// Benign look-alikes: legitimate work that looks like an attack at first sight. Each returns
// {agent, startMs, endMs} windows to label (all of the agent's events in the window are the trap).
// Some change an agent's schedules before its normal traffic is written (rotation, migration).
import { KINDS } from "./catalogue.mjs";
import { HOUR, DAY } from "./population.mjs";
import { runWorkflow, infraJob } from "./traffic.mjs";

const MIN = 60_000;
const MIB = 1024 * 1024;

/** Before normal traffic: the keys of a few agents of one tenant are rotated together, as planned. */
export function plannedRotation(ctx, agents, atMs) {
  return agents.map((agent) => {
    const old = agent.credentials.filter((c) => c.fromMs <= atMs).pop();
    const fresh = {
      ...old,
      fromMs: atMs,
      id: old.id.replace(/[0-9a-f]{24}$/, ctx.random.hex(24)),
      expiresMs: atMs + (old.expiresMs - old.fromMs),
    };
    old.toMs = atMs;
    agent.credentials = [
      ...agent.credentials.filter((c) => c.fromMs <= atMs),
      fresh,
    ];
    return { agent, startMs: atMs - 10 * MIN, endMs: atMs + 6 * HOUR };
  });
}

/** Before normal traffic: a team's agents move to a new VPC (new subnet, new gateway) on one morning. */
export function networkMigration(ctx, agents, atMs) {
  return agents.map((agent, i) => {
    const moveAt = atMs + i * 7 * MIN;
    const subnet = `10.${agent.tenant.net + 5}.${ctx.random.int(100, 120)}`;
    agent.pods = agent.pods.filter((p) => p.fromMs < moveAt);
    for (
      let at = moveAt;
      at < moveAt + 10 * DAY;
      at += ctx.random.logNormal(30 * HOUR, 0.5)
    )
      agent.pods.push({
        fromMs: at,
        ip: `${subnet}.${ctx.random.int(10, 250)}`,
        instance: `${agent.kind.split("-")[0]}-${ctx.random.hex(10)}`,
      });
    agent.gatewayOverride = {
      fromMs: moveAt,
      gateway: `gw-${agent.tenant.name}-${agent.region}-vpc2`,
    };
    return { agent, startMs: moveAt, endMs: moveAt + 24 * HOUR };
  });
}

/** The finance bot's quarter-end report: its usual export, at its usual hour, twenty times bigger. */
export function quarterEndReport(ctx, agent, atMs) {
  let t = atMs;
  for (let i = 0; i < 40; i += 1)
    t = runWorkflow(ctx, agent, t, KINDS[agent.kind].workflows[0][1], {
      paceMs: 500,
    });
  ctx.emit(agent, t + 5000, "report.export", {
    bytes: 71 * MIB + ctx.random.int(0, MIB),
    records: 1_480_000,
  });
  ctx.emit(agent, t + 60_000, "report.export", {
    bytes: 23 * MIB + ctx.random.int(0, MIB),
    records: 402_000,
  });
  return [{ agent, startMs: atMs, endMs: t + 2 * HOUR }];
}

/** A new IaC role's first apply: a whole stack created in a minute or two (roles, policies, buckets). */
export function newCiKeyFirstDeploy(ctx, agent, atMs) {
  const job = infraJob(ctx, agent, atMs);
  const steps = [
    ["sts:GetCallerIdentity", 1, 1],
    ["ec2:DescribeVpcs", 2, 2],
    ["ec2:DescribeSecurityGroups", 4, 6],
    ["iam:CreateRole", 5, 8],
    ["iam:PutRolePolicy", 8, 12],
    ["iam:AttachRolePolicy", 4, 8],
    ["iam:PassRole", 3, 5],
    ["s3:CreateBucket", 3, 4],
    ["s3:PutBucketPolicy", 3, 4],
    ["ec2:AuthorizeSecurityGroupIngress", 4, 8],
    ["ec2:RunInstances", 3, 6],
    ["ec2:CreateTags", 20, 40],
    ["iam:GetRole", 10, 20],
    ["lambda:UpdateFunctionCode", 4, 8],
  ];
  const end = runWorkflow(ctx, agent, atMs, steps, { event: job, paceMs: 300 });
  return [{ agent, startMs: atMs, endMs: end + HOUR }];
}

/** A new payee, added through the usual approval flow, then paid the next working day. */
export function newVendorPayee(ctx, agent, atMs) {
  const { random, emit } = ctx;
  const payee = `payee:V${agent.tenant.net}${random.int(4000, 9999)}`;
  const session = `ses_${random.hex(12)}`;
  const human = random.pick(agent.humans);
  const vendorCreate = {
    ...KINDS[agent.kind].tools["po.create"],
    type: "vendor",
  };
  emit(agent, atMs, "vendors.search", { session, onBehalfOf: human });
  emit(agent, atMs + 20_000, "vendors.create", {
    session,
    onBehalfOf: human,
    tool: vendorCreate,
    resource: payee.replace("payee:", "vendor:"),
  });
  emit(agent, atMs + 40_000, "approvals.request", {
    session,
    onBehalfOf: human,
  });
  emit(agent, atMs + 3 * HOUR, "approvals.request", {
    onBehalfOf: random.pick(agent.humans),
  });
  const payAt = atMs + DAY + random.between(0, 2 * HOUR);
  emit(agent, payAt, "invoices.match", { onBehalfOf: human });
  emit(agent, payAt + 30_000, "payments.create", {
    onBehalfOf: human,
    resource: payee,
  });
  agent.counterparties.push(payee);
  return [{ agent, startMs: atMs, endMs: payAt + HOUR }];
}

/** A pipeline's scheduled backfill: three times its usual nightly load, in its usual night window. */
export function nightlyBackfill(ctx, agent, atMs) {
  let t = atMs;
  for (let i = 0; i < 60; i += 1)
    t = runWorkflow(
      ctx,
      agent,
      t,
      KINDS[agent.kind].workflows[1 + (i % 2)][1],
      { paceMs: 700 },
    );
  return [{ agent, startMs: atMs, endMs: t + 10 * MIN }];
}

/** The scanner's monthly full-estate scan: many more checks, and many more refusals, than its daily ones. */
export function fullSecurityScan(ctx, agent, atMs) {
  const { random, emit } = ctx;
  const session = `ses_${random.hex(12)}`;
  const names = [
    "iam:ListUsers",
    "s3:GetBucketAcl",
    "ec2:DescribeSecurityGroups",
    "vuln.scan.run",
    "secrets.scan",
  ];
  let t = atMs;
  for (let i = 0; i < 600; i += 1, t += random.logNormal(2500, 0.5))
    emit(agent, t, random.pick(names), {
      session,
      outcome: random.chance(0.25) ? "denied" : "success",
    });
  return [{ agent, startMs: atMs, endMs: t + 10 * MIN }];
}
