// Attacks, written from issue 15's descriptions of what goes wrong with agents and non-human
// identities (not from any detector): each returns the ids of other agents it involved. Every
// event an attack writes carries its label's tag; the victim's normal traffic goes on around it.
import { KINDS } from "./catalogue.mjs";
import { credentialAt, HOUR } from "./population.mjs";
import { runWorkflow, infraJob } from "./traffic.mjs";

const MIN = 60_000;
const MIB = 1024 * 1024;
const tool = (
  verb,
  type,
  sensitivity,
  bytes,
  sd = 0.4,
  rmin = 1,
  rmax = 1,
) => ({ verb, type, sensitivity, bytes, sd, records: [rmin, rmax] });

export function publicIp(random) {
  const first = random.pick([45, 73, 86, 102, 146, 176, 185, 193, 203]);
  return `${first}.${random.int(1, 254)}.${random.int(1, 254)}.${random.int(1, 254)}`;
}

/** The same call over and over: an agent stuck retrying one step at its full speed. */
function runawayLoop(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const session = `ses_${random.hex(12)}`;
  if (victim.kind === "marketing-mailer") {
    const segment = random.pick(victim.counterparties);
    for (
      let i = 0, t = t0;
      t < t0 + 3 * MIN;
      i += 1, t += random.logNormal(90, 0.3)
    )
      emit(victim, t, "mail.send", {
        session,
        resource: segment,
        tag,
        outcome: i > 600 && random.chance(0.3) ? "error" : "success",
      });
    return [];
  }
  const pr = `pull_request:${victim.tenant.name.slice(0, 3)}-${random.int(10000, 99999)}`;
  for (let t = t0; t < t0 + 5 * MIN; t += random.logNormal(160, 0.3)) {
    emit(victim, t, "repo.pulls.get", { session, resource: pr, tag });
    emit(victim, t + 80, "pulls.comments.create", {
      session,
      resource: pr,
      tag,
    });
  }
  return [];
}

/** Restricted data leaving in bulk: an export the agent never made, or pages of a table it never reads. */
function bulkExport(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const session = `ses_${random.hex(12)}`;
  if (victim.kind === "data-pipeline") {
    const table = tool("read", "table", "restricted", 12 * MIB);
    for (let i = 0, t = t0; i < 25; i += 1, t += random.logNormal(4500, 0.3))
      emit(victim, t, "warehouse.query", {
        session,
        tool: table,
        resource: "table:crm.customers_pii",
        records: random.int(180000, 250000),
        tag,
      });
    return [];
  }
  emit(victim, t0, "policies.search", { session, tag });
  const exportTool = tool("export", "employee", "restricted", 90 * MIB);
  emit(victim, t0 + 20_000, "employees.export", {
    session,
    tool: exportTool,
    resource: "employee:all-active",
    bytes: 99_614_720,
    records: 18_240,
    tag,
  });
  emit(victim, t0 + 95_000, "employees.export", {
    session,
    tool: exportTool,
    resource: "employee:all-terminated-2024",
    bytes: 63_438_848,
    records: 11_907,
    tag,
  });
  return [];
}

/** One credential, many clients at once: the agent's usual calls from addresses across the internet. */
function credentialSharing(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const kind = KINDS[victim.kind];
  const credential = credentialAt(victim, t0);
  const ips = Array.from(
    { length: victim.kind === "finance-reconciler" ? 14 : 9 },
    () => publicIp(random),
  );
  const others =
    victim.kind === "finance-reconciler"
      ? [`client-${random.hex(6)}`, `client-${random.hex(6)}`]
      : [];
  const names = Object.keys(kind.tools).filter((n) =>
    ["read", "execute"].includes(kind.tools[n].verb),
  );
  // Until the stolen token expires (short-lived ones), or 25 minutes.
  const until = Math.min(t0 + 25 * MIN, credential.expiresMs ?? Infinity);
  for (let t = t0; t < until; t += random.logNormal(9000, 0.6)) {
    const ip = random.pick(ips);
    const as =
      others.length && random.chance(0.5) ? random.pick(others) : undefined;
    emit(victim, t, random.pick(names), {
      credential,
      ip,
      as,
      noKind: as !== undefined,
      userAgent: as ? "python-requests/2.31.0" : undefined,
      instance: `host-${ip.split(".")[1]}`,
      tag,
    });
  }
  return others;
}

/** First admin call on restricted identity data, then the privilege it bought is used. */
function privilegeEscalation(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const session = `ses_${random.hex(12)}`;
  if (victim.kind === "code-reviewer") {
    emit(victim, t0, "orgs.members.set_role", {
      session,
      tool: tool("admin", "org_role", "restricted", 600),
      resource: `org_role:${victim.tenant.name}/owners`,
      tag,
    });
    emit(victim, t0 + 4000, "repos.branch_protection.delete", {
      session,
      tool: tool("admin", "branch_protection", "restricted", 300),
      resource: `branch_protection:${victim.tenant.name}/payments-api/main`,
      tag,
    });
    for (let i = 0; i < 12; i += 1)
      emit(victim, t0 + 10_000 + i * 3000, "repo.contents.get", {
        session,
        tag,
      });
    return [];
  }
  emit(victim, t0, "directory.roles.assign", {
    session,
    tool: tool("admin", "iam_role", "restricted", 700),
    resource: "iam_role:payroll-administrator",
    tag,
  });
  for (let i = 0; i < 30; i += 1)
    emit(
      victim,
      t0 + 8000 + i * random.between(2000, 5000),
      "payroll.payslips.get",
      { session, tag },
    );
  return [];
}

/** A chain of sub-agents grows from its root and reaches data the root never touches. */
function delegationAbuse(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const partner = victim.delegates[0];
  const chain = [victim.id, ...(partner ? [partner.id] : [])];
  const subs = [];
  const targets =
    victim.kind === "procurement-bot"
      ? [
          [
            "employees.salary.get",
            tool("read", "hr_salary", "restricted", 4096),
          ],
          [
            "payroll.runs.get",
            tool("read", "payroll_run", "restricted", 80 * 1024),
          ],
        ]
      : [
          ["vault.secrets.read", tool("read", "secret", "restricted", 900)],
          ["vault.secrets.list", tool("read", "secret", "restricted", 6000)],
        ];
  const credential = {
    id: `jit_${random.hex(16)}`,
    type: "jit_token",
    issuer: `https://login.${victim.tenant.name}.example/oauth2`,
    expiresMs: t0 + 15 * MIN,
  };
  // Each link speaks as itself: the root and its usual partner with their own identities, the
  // new sub-agents with the delegated token they were handed.
  const speak = (at, id, name, o) =>
    id === victim.id
      ? emit(victim, at, name, o)
      : id === partner?.id
        ? emit(partner, at, name, o)
        : emit(victim, at, name, { ...o, as: id, noKind: true, credential });
  let t = t0;
  emit(
    victim,
    t,
    victim.kind === "procurement-bot"
      ? "legal.review.delegate"
      : "security.scan.delegate",
    { delegation: [victim.id], tag },
  );
  for (let depth = chain.length; depth < 6; depth += 1) {
    const parentId = chain[chain.length - 1];
    const sub = `${victim.tenant.name}-subagent-${random.hex(8)}`;
    subs.push(sub);
    t += random.between(2000, 8000);
    speak(t, parentId, "agents.spawn", {
      delegation: [...chain],
      tool: tool("delegate", "agent", "internal", 500),
      resource: `agent:${sub}`,
      tag,
    });
    chain.push(sub);
  }
  for (let i = 0; i < 18; i += 1) {
    const [name, what] = random.pick(targets);
    const depth = chain.length - (i % 2);
    t += random.between(1500, 6000);
    speak(t, chain[depth - 1], name, {
      delegation: chain.slice(0, depth),
      tool: what,
      resource: `${what.type}:${random.hex(6)}`,
      tag,
    });
  }
  return [...(partner ? [partner.id] : []), ...subs];
}

/** Persistence in the control plane: new admin users and keys, backdoored trust, data shared out. */
function controlPlanePersistence(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const acct = victim.tenant.account;
  const outside = "arn:aws:iam::913407725516:root";
  if (victim.dayZero) {
    const ip = publicIp(random);
    const o = {
      ip,
      userAgent: "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu",
      instance: "unknown",
      credential: victim.key,
      noKind: true,
      tag,
    };
    const calls = [
      ["sts:GetCallerIdentity", tool("auth", "sts", "internal", 400), "sts"],
      [
        "iam:ListUsers",
        tool("read", "iam_user", "confidential", 20_000),
        `arn:aws:iam::${acct}:user/`,
      ],
      [
        "iam:CreateUser",
        tool("admin", "iam_user", "restricted", 600),
        `arn:aws:iam::${acct}:user/svc-monitoring`,
      ],
      [
        "iam:AttachUserPolicy",
        tool("admin", "iam_policy", "restricted", 200),
        "arn:aws:iam::aws:policy/AdministratorAccess",
      ],
      [
        "iam:CreateAccessKey",
        tool("admin", "iam_access_key", "restricted", 500),
        `arn:aws:iam::${acct}:user/svc-monitoring`,
      ],
      [
        "iam:CreateLoginProfile",
        tool("admin", "iam_user", "restricted", 300),
        `arn:aws:iam::${acct}:user/svc-monitoring`,
      ],
      [
        "iam:CreateAccessKey",
        tool("admin", "iam_access_key", "restricted", 500),
        `arn:aws:iam::${acct}:user/${victim.id.split("/").pop()}`,
      ],
    ];
    calls.forEach(([name, what, resource], i) =>
      emit(victim, t0 + i * random.between(8000, 25000), name, {
        ...o,
        tool: what,
        resource,
      }),
    );
    return [];
  }
  // Inside an ordinary-looking plan from the victim's own CI runner.
  const job = infraJob(ctx, victim, t0);
  const end = runWorkflow(ctx, victim, t0, KINDS[victim.kind].workflows[0][1], {
    only: (w) => w.verb === "read" || w.verb === "auth",
    event: { ...job, tag },
  });
  const changes = [
    [
      "iam:UpdateAssumeRolePolicy",
      tool("admin", "iam_role", "restricted", 300),
      `arn:aws:iam::${acct}:role/OrganizationAccountAccessRole`,
    ],
    [
      "rds:ModifyDBSnapshotAttribute",
      tool("admin", "db_snapshot", "restricted", 400),
      `arn:aws:rds:${victim.region}:${acct}:snapshot:prod-orders-2026-11-19`,
    ],
    [
      "lambda:AddPermission",
      tool("admin", "function", "restricted", 300),
      `arn:aws:lambda:${victim.region}:${acct}:function:billing-export`,
    ],
    [
      "s3:PutBucketPolicy",
      KINDS[victim.kind].tools["s3:PutBucketPolicy"],
      `arn:aws:s3:::${victim.tenant.name}-finance-archive`,
    ],
  ];
  changes.forEach(([name, what, resource], i) =>
    emit(victim, end + (i + 1) * random.between(600, 2000), name, {
      ...job,
      tool: what,
      resource,
      attributes: { principal: outside },
      tag,
    }),
  );
  return [];
}

/** A workload's credentials, lifted from it, used from somewhere else (the workload carries on). */
function stolenWorkloadCredentials(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  let credential = credentialAt(victim, t0);
  if (victim.kind === "infra-terraform") {
    const job = infraJob(ctx, victim, t0);
    runWorkflow(ctx, victim, t0, KINDS[victim.kind].workflows[0][1], {
      event: job,
    });
    credential = job.credential;
    t0 += 12 * MIN;
  }
  const ip = publicIp(random);
  const o = {
    credential,
    ip,
    userAgent: "aws-cli/2.13.0 Python/3.11.4 Darwin/23.1.0 source/arm64",
    instance: "unknown",
    tag,
  };
  const s3 = tool("read", "dataset", "confidential", 8 * MIB, 0.8);
  emit(victim, t0, "sts:GetCallerIdentity", {
    ...o,
    tool: tool("auth", "sts", "internal", 400),
    resource: "sts",
  });
  emit(victim, t0 + 5000, "s3:ListBuckets", {
    ...o,
    tool: tool("read", "bucket", "internal", 3000),
    resource: "arn:aws:s3:::*",
  });
  emit(victim, t0 + 9000, "iam:ListAttachedRolePolicies", {
    ...o,
    tool: tool("read", "iam_role", "confidential", 2000),
  });
  for (
    let i = 0, t = t0 + 20_000;
    i < 22;
    i += 1, t += random.between(5000, 30000)
  )
    emit(victim, t, "s3:GetObject", { ...o, tool: s3 });
  return [];
}

/** Restricted data the agent has never touched, read with its own credential from its own pod. */
function novelSensitiveAccess(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const session = `ses_${random.hex(12)}`;
  const [name, what] =
    victim.kind === "marketing-mailer"
      ? [
          "crm.payment_methods.get",
          tool("read", "payment_card", "restricted", 1800),
        ]
      : ["vault.secrets.read", tool("read", "secret", "restricted", 900)];
  for (let i = 0, t = t0; i < 8; i += 1, t += random.between(20_000, 90_000))
    emit(victim, t, name, {
      session,
      tool: what,
      resource: `${what.type}:${random.hex(8)}`,
      tag,
    });
  return [];
}

/** Someone trying doors: many refused calls to tools and data outside the agent's job. */
function deniedCallProbing(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const doors = [
    ["payments.approve", tool("admin", "payment", "restricted", 200)],
    ["vendors.bank_details.update", tool("write", "vendor", "restricted", 200)],
    ["users.list", tool("read", "user", "confidential", 200)],
    ["directory.roles.assign", tool("admin", "iam_role", "restricted", 200)],
    ["ledger.query", tool("read", "ledger", "confidential", 200)],
    ["matters.get", tool("read", "legal_matter", "restricted", 200)],
    ["payroll.runs.get", tool("read", "payroll_run", "restricted", 200)],
    ["vault.secrets.list", tool("read", "secret", "restricted", 200)],
  ];
  const session = `ses_${random.hex(12)}`;
  for (let i = 0, t = t0; i < 40; i += 1, t += random.logNormal(9000, 0.5)) {
    const [name, what] = random.pick(doors);
    emit(victim, t, name, {
      session,
      tool: what,
      resource: `${what.type}:${random.hex(6)}`,
      outcome: random.chance(0.9) ? "denied" : "success",
      tag,
    });
  }
  return [];
}

/** A hijacked agent uses its usual tools, but pays or sends to someone it never dealt with. */
function counterpartyHijack(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const session = `ses_${random.hex(12)}`;
  if (victim.kind === "marketing-mailer") {
    const segment = random.pick(victim.counterparties);
    emit(victim, t0, "contacts.segments.query", {
      session,
      resource: segment.replace("segment:", "contact_list:"),
      tag,
    });
    for (let i = 0; i < 3; i += 1)
      emit(victim, t0 + 30_000 + i * 20_000, "mail.send", {
        session,
        resource: "recipient:data-intake@listbroker-hub.net",
        tag,
      });
    return [];
  }
  emit(victim, t0, "invoices.match", { session, tag });
  const payee = `payee:V${victim.tenant.net}${random.int(4000, 9999)}`;
  for (let i = 0; i < 3; i += 1)
    emit(
      victim,
      t0 + 15_000 + i * random.between(20_000, 60_000),
      "payments.create",
      { session, resource: payee, tag },
    );
  return [];
}

/** A business-hours agent busy in the middle of the night, with its usual tools. */
function offHours(ctx, victim, t0, tag) {
  const { random } = ctx;
  let t = t0;
  while (t < t0 + 45 * MIN) {
    const flows = KINDS[victim.kind].workflows;
    t =
      runWorkflow(
        ctx,
        victim,
        t,
        flows[random.weighted(victim.workflowWeights)][1],
        { event: { tag }, paceMs: 2500 },
      ) + random.between(30_000, 120_000);
  }
  return [];
}

/** Data leaving a little at a time, over days, in working hours, under the agent's usual tools. */
function slowExfiltration(ctx, victim, t0, tag) {
  const { random, emit } = ctx;
  const until = t0 + 4.5 * 24 * HOUR;
  const gap =
    victim.kind === "legal-review" ? [5 * MIN, 12 * MIN] : [15 * MIN, 40 * MIN];
  for (let t = t0; t < until; t += random.between(gap[0], gap[1])) {
    const local = new Date(t + victim.tenant.offsetH * HOUR);
    const weekend = local.getUTCDay() === 0 || local.getUTCDay() === 6;
    if (victim.kind === "legal-review") {
      if (weekend || local.getUTCHours() < 8 || local.getUTCHours() >= 18)
        continue;
      emit(victim, t, "contracts.get", {
        resource: `contract:${victim.tenant.name.slice(0, 3)}-${random.int(10000, 99999)}`,
        bytes: Math.round(random.logNormal(300 * 1024, 0.5)),
        tag,
      });
    } else {
      emit(victim, t, "s3:GetObject", {
        bytes: Math.round(random.logNormal(20 * MIB, 0.4)),
        tag,
      });
      emit(victim, t + 4000, "s3:PutObject", {
        resource: "arn:aws:s3:::dr-replica-7731-eu/sync/",
        tool: tool("write", "dataset", "confidential", 300),
        tag,
      });
    }
  }
  return [];
}

export const ATTACK_KINDS = {
  runaway_loop: {
    victims: ["code-reviewer", "marketing-mailer"],
    localHour: 11,
    run: runawayLoop,
  },
  bulk_export: {
    victims: ["hr-assistant", "data-pipeline"],
    localHour: 15,
    run: bulkExport,
  },
  credential_sharing: {
    victims: ["legal-review", "finance-reconciler"],
    localHour: 10,
    run: credentialSharing,
  },
  privilege_escalation: {
    victims: ["hr-assistant", "code-reviewer"],
    localHour: 14,
    run: privilegeEscalation,
  },
  delegation_abuse: {
    victims: ["procurement-bot", "code-reviewer"],
    localHour: 11,
    run: delegationAbuse,
  },
  control_plane_persistence: {
    victims: ["day-zero", "infra-terraform"],
    localHour: 13,
    run: controlPlanePersistence,
  },
  stolen_workload_credentials: {
    victims: ["data-pipeline", "infra-terraform"],
    localHour: 16,
    run: stolenWorkloadCredentials,
  },
  novel_sensitive_access: {
    victims: ["marketing-mailer", "code-reviewer"],
    localHour: 10,
    run: novelSensitiveAccess,
  },
  denied_call_probing: {
    victims: ["procurement-bot", "legal-review"],
    localHour: 15,
    run: deniedCallProbing,
  },
  counterparty_hijack: {
    victims: ["procurement-bot", "marketing-mailer"],
    localHour: 11,
    run: counterpartyHijack,
  },
  off_hours: {
    victims: ["legal-review", "hr-assistant"],
    localHour: 3,
    run: offHours,
  },
  slow_exfiltration: {
    victims: ["legal-review", "data-pipeline"],
    localHour: 9,
    run: slowExfiltration,
  },
};
