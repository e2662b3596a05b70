import type { AuditEventV1 } from "@warden/shared";

/**
 * The catalogue of agent kinds the simulator knows: when each works, with which credential,
 * calling which tools on which resources, moving how many bytes. Rates are per agent of
 * weight 1 at scale 1; agents' weights are log-normal, so activity is skewed across a kind.
 */

export type Verb = AuditEventV1["action"]["verb"];
export type Sensitivity = NonNullable<
  NonNullable<AuditEventV1["resource"]>["sensitivity"]
>;
export type CredentialType = AuditEventV1["credential"]["type"];

export interface ResourceType {
  readonly type: string;
  /** Distinct resources of this type a team works with; popularity is Zipf over them. */
  readonly vocabulary: number;
  readonly sensitivity: Sensitivity;
}

export interface ActionSpec {
  readonly name: string;
  readonly verb: Verb;
  readonly resource: ResourceType;
  readonly weight: number;
  /** Log-normal median of bytes returned, and its spread; a Pareto tail adds rare giants. */
  readonly bytesMedian: number;
  readonly bytesSigma: number;
  /** Median rows for table-like reads and exports; 0 when records make no sense. */
  readonly recordsMedian: number;
  readonly target: string;
  /** Model calls: median input and output tokens per call (the event's `usage`). */
  readonly tokens?: { readonly input: number; readonly output: number };
}

export interface KindSpec {
  readonly name: string;
  /** Share of the population (normalised over the kinds). */
  readonly share: number;
  /** Calls per day outside scheduled runs, for an agent of weight 1. */
  readonly callsPerDay: number;
  /** Relative call rate per UTC hour, 0–23 (normalised so the weekly mean is 1). */
  readonly hourly: readonly number[];
  readonly weekendFactor: number;
  /** A scheduled run: nightly (every day) or weekly (one weekday), with its mean calls. */
  readonly run?: {
    readonly every: "night" | "week";
    readonly earliestHour: number;
    readonly latestHour: number;
    readonly minMinutes: number;
    readonly maxMinutes: number;
    readonly calls: number;
    readonly actions: readonly ActionSpec[];
  };
  /** Deploy bursts (CI): mean bursts per agent-day, mean calls per burst, burst length. */
  readonly bursts?: {
    readonly perDay: number;
    readonly calls: number;
    readonly minutes: number;
    readonly actions: readonly ActionSpec[];
  };
  readonly credential: {
    readonly type: CredentialType;
    readonly prefix: string;
    /** Rotation period; undefined for long-lived keys that only rotate by hand. */
    readonly rotationMs: number | undefined;
    readonly issuer: string;
    readonly scopes: readonly string[];
  };
  readonly userAgent: string;
  /** How many source IPs one agent of this kind uses (a CI runner pool has several). */
  readonly ipsPerAgent: number;
  readonly actions: readonly ActionSpec[];
  /** Acts for a human (`on_behalf_of`): customers for support bots, employees for procurement. */
  readonly actsFor: "customer" | "employee" | undefined;
}

const HOUR_MS = 3_600_000;

function resource(
  type: string,
  vocabulary: number,
  sensitivity: Sensitivity,
): ResourceType {
  return { type, vocabulary, sensitivity };
}

function action(
  name: string,
  verb: Verb,
  target: ResourceType,
  weight: number,
  bytesMedian: number,
  options: {
    sigma?: number;
    records?: number;
    host?: string;
    tokens?: { input: number; output: number };
  } = {},
): ActionSpec {
  return {
    name,
    verb,
    resource: target,
    weight,
    bytesMedian,
    bytesSigma: options.sigma ?? 1,
    recordsMedian: options.records ?? 0,
    target: `https://${options.host ?? `${name.split(".")[0] ?? "api"}.internal`}/`,
    ...(options.tokens ? { tokens: options.tokens } : {}),
  };
}

const KB_ARTICLE = resource("kb_article", 3000, "internal");
const TICKET = resource("ticket", 5000, "confidential");
const CRM_CONTACT = resource("crm_contact", 5000, "confidential");
const MODEL = resource("model", 4, "internal");
const REPO = resource("repository", 200, "internal");
const CHECK = resource("check_run", 5000, "internal");
const ARTIFACT = resource("artifact", 2000, "internal");
const DEPLOYMENT = resource("deployment", 60, "confidential");
const SECRET = resource("secret", 80, "restricted");
const PIPELINE = resource("pipeline", 120, "internal");
const TABLE = resource("table", 400, "confidential");
const BUCKET_OBJECT = resource("object", 4000, "internal");
const PURCHASE_ORDER = resource("purchase_order", 5000, "confidential");
const VENDOR = resource("vendor", 800, "internal");
const INVOICE = resource("invoice", 5000, "confidential");
const AGENT_POOL = resource("agent_pool", 3, "internal");
const VENDOR_API = resource("vendor_api", 150, "public");
const CATALOG_ITEM = resource("catalog_item", 5000, "public");
const REPORT = resource("report", 50, "confidential");
const MAILBOX = resource("mailbox", 30, "internal");

/** Resources no agent kind touches in normal work: what "novel sensitive access" reaches for. */
export const SENSITIVE_RESOURCES: readonly ResourceType[] = [
  resource("hr_record", 2000, "restricted"),
  resource("payroll_run", 300, "restricted"),
  resource("vault_secret", 500, "restricted"),
  resource("customer_pii_export", 100, "restricted"),
];

export const EXPORTABLE_RESTRICTED: ResourceType = resource(
  "customer_table",
  40,
  "restricted",
);

export const ADMIN_ACTIONS: readonly ActionSpec[] = [
  action(
    "iam.roles.assign",
    "admin",
    resource("iam_role", 40, "restricted"),
    3,
    400,
  ),
  action(
    "iam.policies.attach",
    "admin",
    resource("iam_policy", 200, "restricted"),
    3,
    600,
  ),
  action(
    "iam.users.create",
    "admin",
    resource("iam_user", 3000, "restricted"),
    1,
    300,
  ),
  action(
    "iam.keys.create",
    "admin",
    resource("api_key", 3000, "restricted"),
    2,
    500,
  ),
];

/** A broad spread of operations a prober tries, mostly outside any one agent's rights. */
export const PROBE_ACTIONS: readonly ActionSpec[] = [
  ...ADMIN_ACTIONS,
  action(
    "billing.accounts.list",
    "read",
    resource("billing_account", 50, "confidential"),
    1,
    800,
  ),
  action(
    "hr.records.get",
    "read",
    SENSITIVE_RESOURCES[0] ?? KB_ARTICLE,
    1,
    900,
  ),
  action(
    "payroll.runs.get",
    "read",
    SENSITIVE_RESOURCES[1] ?? KB_ARTICLE,
    1,
    900,
  ),
  action(
    "vault.secrets.read",
    "read",
    SENSITIVE_RESOURCES[2] ?? KB_ARTICLE,
    1,
    300,
  ),
  action("k8s.secrets.list", "read", SECRET, 1, 700),
  action("s3.buckets.delete", "delete", BUCKET_OBJECT, 1, 100),
  action("crm.contacts.export", "export", CRM_CONTACT, 1, 1_000),
  action("warehouse.grants.create", "admin", TABLE, 1, 200),
];

export const KINDS: readonly KindSpec[] = [
  {
    name: "support-bot",
    share: 40,
    callsPerDay: 320,
    // Business hours with a lunch dip; a trickle at night from the follow-the-sun queue.
    hourly: [
      0.05, 0.04, 0.03, 0.03, 0.04, 0.08, 0.3, 0.8, 1.6, 2.2, 2.4, 2.2, 1.6,
      2.1, 2.3, 2.2, 1.9, 1.4, 0.8, 0.4, 0.25, 0.15, 0.1, 0.07,
    ],
    weekendFactor: 0.25,
    credential: {
      type: "oauth_token",
      prefix: "tok",
      rotationMs: HOUR_MS,
      issuer: "https://idp.example/oauth2",
      scopes: ["tickets:read", "tickets:write", "kb:read", "crm:read"],
    },
    userAgent: "support-agent/3.4 (langchain)",
    ipsPerAgent: 2,
    actsFor: "customer",
    actions: [
      action("kb.articles.search", "read", KB_ARTICLE, 30, 6_000, {
        host: "kb.internal",
      }),
      action("zendesk.tickets.get", "read", TICKET, 25, 4_000, {
        host: "acme.zendesk.com",
      }),
      action("zendesk.tickets.comment", "write", TICKET, 15, 600, {
        host: "acme.zendesk.com",
      }),
      action("crm.contacts.get", "read", CRM_CONTACT, 15, 2_500, {
        host: "crm.internal",
      }),
      action("llm.chat.complete", "execute", MODEL, 15, 3_000, {
        host: "llm.internal",
        tokens: { input: 1_800, output: 350 },
      }),
    ],
  },
  {
    name: "ci-agent",
    share: 20,
    callsPerDay: 90,
    hourly: [
      0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.7, 0.9, 1.2, 1.4, 1.5, 1.5, 1.3, 1.5, 1.5,
      1.4, 1.3, 1.1, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6,
    ],
    weekendFactor: 0.6,
    bursts: {
      perDay: 1.5,
      calls: 40,
      minutes: 6,
      actions: [
        action("ci.jobs.run", "execute", PIPELINE, 30, 1_500, {
          host: "ci.internal",
        }),
        action("artifacts.upload", "write", ARTIFACT, 20, 300, {
          host: "artifacts.internal",
        }),
        action("k8s.deployments.patch", "write", DEPLOYMENT, 15, 900, {
          host: "k8s.internal",
        }),
        action("secrets.read", "read", SECRET, 5, 200, {
          host: "vault.internal",
        }),
      ],
    },
    credential: {
      type: "spiffe_svid",
      prefix: "svid",
      rotationMs: HOUR_MS,
      issuer: "spiffe://ci.example",
      scopes: ["repo:read", "checks:write", "artifacts:write", "deploy"],
    },
    userAgent: "ci-runner/2.19",
    ipsPerAgent: 6,
    actsFor: undefined,
    actions: [
      action("github.repos.clone", "read", REPO, 25, 4_000_000, {
        sigma: 1.4,
        host: "github.com",
      }),
      action("github.checks.create", "write", CHECK, 15, 500, {
        host: "api.github.com",
      }),
      action("artifacts.upload", "write", ARTIFACT, 15, 300, {
        host: "artifacts.internal",
      }),
      action("ci.jobs.run", "execute", PIPELINE, 35, 1_500, {
        host: "ci.internal",
      }),
      action("secrets.read", "read", SECRET, 5, 200, {
        host: "vault.internal",
      }),
    ],
  },
  {
    name: "data-sync",
    share: 12,
    callsPerDay: 4,
    hourly: Array.from({ length: 24 }, () => 1),
    weekendFactor: 1,
    run: {
      every: "night",
      earliestHour: 0,
      latestHour: 4,
      minMinutes: 10,
      maxMinutes: 40,
      calls: 300,
      actions: [
        action("warehouse.tables.read", "read", TABLE, 40, 400_000, {
          sigma: 1.5,
          records: 2_000,
          host: "warehouse.internal",
        }),
        action("warehouse.tables.write", "write", TABLE, 30, 800, {
          records: 2_000,
          host: "warehouse.internal",
        }),
        action("s3.objects.get", "read", BUCKET_OBJECT, 15, 1_000_000, {
          sigma: 1.6,
          host: "s3.internal",
        }),
        action("s3.objects.put", "write", BUCKET_OBJECT, 15, 500, {
          host: "s3.internal",
        }),
      ],
    },
    credential: {
      type: "api_key",
      prefix: "key",
      rotationMs: undefined,
      issuer: "warehouse",
      scopes: ["warehouse:read", "warehouse:write", "s3:rw"],
    },
    userAgent: "airflow-sync/2.9",
    ipsPerAgent: 1,
    actsFor: undefined,
    actions: [
      action("warehouse.health.check", "read", TABLE, 1, 200, {
        host: "warehouse.internal",
      }),
    ],
  },
  {
    name: "procurement-bot",
    share: 8,
    callsPerDay: 120,
    hourly: [
      0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.9, 1.8, 2.2, 2.3, 2.0, 1.5, 2.0,
      2.2, 2.0, 1.6, 1.0, 0.5, 0.3, 0.15, 0.1, 0.05, 0.05,
    ],
    weekendFactor: 0.1,
    credential: {
      type: "oauth_token",
      prefix: "tok",
      rotationMs: HOUR_MS,
      issuer: "https://idp.example/oauth2",
      scopes: ["erp:read", "erp:po:write", "agents:delegate"],
    },
    userAgent: "procure-agent/1.7 (autogen)",
    ipsPerAgent: 2,
    actsFor: "employee",
    actions: [
      action("erp.purchase_orders.create", "write", PURCHASE_ORDER, 15, 900, {
        host: "erp.internal",
      }),
      action("erp.vendors.get", "read", VENDOR, 25, 3_000, {
        host: "erp.internal",
      }),
      action("erp.invoices.get", "read", INVOICE, 20, 5_000, {
        host: "erp.internal",
      }),
      action("agents.delegate", "delegate", AGENT_POOL, 20, 200, {
        host: "agents.internal",
      }),
      action("llm.chat.complete", "execute", MODEL, 20, 3_000, {
        host: "llm.internal",
        tokens: { input: 1_200, output: 250 },
      }),
    ],
  },
  {
    name: "procurement-subagent",
    share: 12,
    callsPerDay: 60,
    hourly: [
      0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 0.9, 1.8, 2.2, 2.3, 2.0, 1.5, 2.0,
      2.2, 2.0, 1.6, 1.0, 0.5, 0.3, 0.15, 0.1, 0.05, 0.05,
    ],
    weekendFactor: 0.1,
    credential: {
      type: "jit_token",
      prefix: "jit",
      rotationMs: HOUR_MS / 4,
      issuer: "https://idp.example/oauth2",
      scopes: ["vendors:quote", "catalog:read"],
    },
    userAgent: "procure-subagent/1.7 (autogen)",
    ipsPerAgent: 1,
    actsFor: "employee",
    actions: [
      action("vendor.quotes.request", "execute", VENDOR_API, 40, 2_000, {
        host: "vendors.example.net",
      }),
      action("erp.vendors.get", "read", VENDOR, 25, 3_000, {
        host: "erp.internal",
      }),
      action("catalog.items.search", "read", CATALOG_ITEM, 35, 8_000, {
        host: "catalog.internal",
      }),
    ],
  },
  {
    name: "report-job",
    share: 8,
    callsPerDay: 3,
    hourly: Array.from({ length: 24 }, () => 1),
    weekendFactor: 1,
    run: {
      every: "week",
      earliestHour: 5,
      latestHour: 8,
      minMinutes: 5,
      maxMinutes: 20,
      calls: 220,
      actions: [
        action("warehouse.tables.read", "read", TABLE, 50, 900_000, {
          sigma: 1.4,
          records: 20_000,
          host: "warehouse.internal",
        }),
        action("reports.render", "execute", REPORT, 25, 200_000, {
          host: "reports.internal",
        }),
        action("reports.export", "export", REPORT, 15, 2_000_000, {
          sigma: 0.8,
          records: 5_000,
          host: "reports.internal",
        }),
        action("email.send", "execute", MAILBOX, 10, 200, {
          host: "mail.internal",
        }),
      ],
    },
    credential: {
      type: "api_key",
      prefix: "key",
      rotationMs: undefined,
      issuer: "reports",
      scopes: ["warehouse:read", "reports:write", "mail:send"],
    },
    userAgent: "report-runner/5.1",
    ipsPerAgent: 1,
    actsFor: undefined,
    actions: [
      action("warehouse.health.check", "read", TABLE, 1, 200, {
        host: "warehouse.internal",
      }),
    ],
  },
];

export const KIND_INDEX = {
  supportBot: 0,
  ciAgent: 1,
  dataSync: 2,
  procurementBot: 3,
  procurementSubagent: 4,
  reportJob: 5,
} as const;

export function kindAt(index: number): KindSpec {
  const kind = KINDS[index];
  if (!kind) throw new RangeError(`no agent kind ${index}`);
  return kind;
}

/** The kind's hourly rate for a UTC hour and weekday, normalised so a week averages 1. */
export function hourlyFactor(
  kind: KindSpec,
  utcHour: number,
  weekend: boolean,
): number {
  return (
    ((kind.hourly[utcHour] ?? 0) / weeklyMean(kind)) *
    (weekend ? kind.weekendFactor : 1)
  );
}

const WEEKLY_MEANS = new Map<KindSpec, number>();

function weeklyMean(kind: KindSpec): number {
  let mean = WEEKLY_MEANS.get(kind);
  if (mean === undefined) {
    const day = kind.hourly.reduce((sum, value) => sum + value, 0) / 24;
    mean = (day * (5 + 2 * kind.weekendFactor)) / 7;
    WEEKLY_MEANS.set(kind, mean);
  }
  return mean;
}

export const TENANTS: readonly string[] = [
  "acme",
  "globex",
  "initech",
  "umbrella",
];
export const GATEWAYS_PER_TENANT = 3;
