// The crossgen population's kinds of agent: their tools, workflows and rhythms. Written
// independently of simulator/ (only its label format is shared) so the detector can be judged
// on habits it was never shaped around. Sizes are medians of a log-normal (bytes) and ranges
// (records); sensitivities follow what the data is, not what would make a detector's life easy.

const KB = 1024;
const MB = 1024 * KB;

/** tool: [verb, resource type, sensitivity, median bytes_out, log-sd, records min, records max] */
const t = (verb, type, sensitivity, bytes, sd = 0.8, rmin = 1, rmax = 1) => ({
  verb,
  type,
  sensitivity,
  bytes,
  sd,
  records: [rmin, rmax],
});

const LLM = t("execute", "model", "internal", 6 * KB, 0.6);

export const KINDS = {
  "legal-review": {
    share: 14,
    rhythm: "business",
    perDay: 14,
    credential: "oauth_token",
    userAgent: "counsel-agent/2.3.1 langgraph/0.2",
    delegatedHuman: true,
    tools: {
      "contracts.search": t(
        "read",
        "contract_index",
        "internal",
        4 * KB,
        0.7,
        5,
        40,
      ),
      "contracts.get": t("read", "contract", "confidential", 90 * KB, 0.9),
      "contracts.annotate": t("write", "contract", "confidential", 2 * KB, 0.5),
      "clauses.compare": t("execute", "contract", "confidential", 12 * KB, 0.6),
      "matters.get": t("read", "legal_matter", "restricted", 30 * KB, 0.8),
      "redline.export": t("export", "contract", "confidential", 400 * KB, 0.7),
      "llm.complete": LLM,
    },
    workflows: [
      [
        5,
        [
          ["contracts.search", 1, 2],
          ["contracts.get", 1, 4],
          ["llm.complete", 2, 6],
          ["contracts.annotate", 1, 3],
        ],
      ],
      [
        3,
        [
          ["contracts.get", 2, 2],
          ["clauses.compare", 1, 3],
          ["llm.complete", 1, 3],
        ],
      ],
      [
        1,
        [
          ["matters.get", 1, 3],
          ["contracts.get", 1, 2],
          ["llm.complete", 1, 2],
        ],
      ],
      [
        1,
        [
          ["contracts.get", 1, 1],
          ["redline.export", 1, 1],
        ],
      ],
    ],
  },
  "procurement-bot": {
    share: 14,
    rhythm: "business",
    perDay: 18,
    credential: "oauth_token",
    userAgent: "procure-flow/5.0 (python-requests/2.32)",
    delegatedHuman: true,
    tools: {
      "vendors.search": t(
        "read",
        "vendor_index",
        "internal",
        3 * KB,
        0.6,
        3,
        25,
      ),
      "vendors.get": t("read", "vendor", "confidential", 8 * KB, 0.5),
      "po.create": t("write", "purchase_order", "confidential", 2 * KB, 0.4),
      "invoices.match": t(
        "execute",
        "invoice",
        "confidential",
        5 * KB,
        0.6,
        1,
        12,
      ),
      "approvals.request": t("write", "approval", "internal", 1 * KB, 0.3),
      "payments.create": t("write", "payment", "restricted", 1536, 0.3),
      "legal.review.delegate": t(
        "delegate",
        "contract",
        "confidential",
        1 * KB,
        0.3,
      ),
      "llm.complete": LLM,
    },
    workflows: [
      [
        4,
        [
          ["vendors.search", 1, 2],
          ["vendors.get", 1, 3],
          ["po.create", 1, 1],
          ["approvals.request", 1, 1],
        ],
      ],
      [
        4,
        [
          ["invoices.match", 1, 4],
          ["vendors.get", 1, 1],
          ["payments.create", 1, 2],
        ],
      ],
      [
        2,
        [
          ["vendors.get", 1, 1],
          ["legal.review.delegate", 1, 1],
          ["llm.complete", 1, 2],
        ],
      ],
    ],
  },
  "finance-reconciler": {
    share: 14,
    rhythm: "nightly",
    perDay: 10,
    credential: "api_key",
    userAgent: "recon-engine/3.4 (java 21)",
    tools: {
      "ledger.query": t(
        "read",
        "ledger",
        "confidential",
        60 * KB,
        1.0,
        100,
        2000,
      ),
      "bank.statements.fetch": t(
        "read",
        "bank_statement",
        "restricted",
        200 * KB,
        0.7,
        50,
        800,
      ),
      "recon.match": t(
        "execute",
        "ledger",
        "confidential",
        10 * KB,
        0.6,
        50,
        500,
      ),
      "ledger.journal.post": t("write", "journal", "confidential", 2 * KB, 0.4),
      "report.export": t(
        "export",
        "report",
        "confidential",
        3 * MB,
        0.5,
        2000,
        20000,
      ),
      "bank.transfer.create": t("write", "payment", "restricted", 1536, 0.3),
    },
    workflows: [
      [
        6,
        [
          ["ledger.query", 2, 6],
          ["recon.match", 1, 3],
          ["ledger.journal.post", 0, 2],
        ],
      ],
      [
        2,
        [
          ["bank.statements.fetch", 1, 3],
          ["recon.match", 1, 2],
        ],
      ],
      [
        1,
        [
          ["ledger.query", 1, 2],
          ["bank.transfer.create", 1, 1],
        ],
      ],
    ],
  },
  "code-reviewer": {
    share: 18,
    rhythm: "extended",
    perDay: 30,
    credential: "oauth_token",
    userAgent: "review-copilot/0.9.4 octokit/3.1",
    tools: {
      "repo.pulls.get": t("read", "pull_request", "internal", 20 * KB, 0.7),
      "repo.diff.get": t("read", "diff", "internal", 60 * KB, 1.1),
      "repo.contents.get": t("read", "source", "confidential", 15 * KB, 1.0),
      "pulls.comments.create": t("write", "comment", "internal", 1 * KB, 0.4),
      "checks.runs.create": t("write", "check_run", "internal", 1 * KB, 0.3),
      "security.scan.delegate": t(
        "delegate",
        "repository",
        "internal",
        1 * KB,
        0.3,
      ),
      "llm.complete": t("execute", "model", "internal", 9 * KB, 0.7),
    },
    workflows: [
      [
        6,
        [
          ["repo.pulls.get", 1, 1],
          ["repo.diff.get", 1, 3],
          ["repo.contents.get", 0, 5],
          ["llm.complete", 2, 5],
          ["pulls.comments.create", 1, 6],
          ["checks.runs.create", 1, 1],
        ],
      ],
      [
        1,
        [
          ["repo.pulls.get", 1, 1],
          ["security.scan.delegate", 1, 1],
        ],
      ],
    ],
  },
  "hr-assistant": {
    share: 12,
    rhythm: "business",
    perDay: 20,
    credential: "oauth_token",
    userAgent: "people-helper/1.12 (node 20)",
    delegatedHuman: true,
    tools: {
      "policies.search": t(
        "read",
        "policy_doc",
        "internal",
        10 * KB,
        0.6,
        1,
        8,
      ),
      "employees.lookup": t("read", "employee", "confidential", 3 * KB, 0.5),
      "leave.requests.create": t(
        "write",
        "leave_request",
        "confidential",
        1 * KB,
        0.3,
      ),
      "payroll.payslips.get": t("read", "payslip", "restricted", 40 * KB, 0.4),
      "hr.tickets.create": t("write", "hr_ticket", "internal", 1 * KB, 0.3),
      "llm.complete": LLM,
    },
    workflows: [
      [
        5,
        [
          ["policies.search", 1, 2],
          ["llm.complete", 1, 3],
        ],
      ],
      [
        3,
        [
          ["employees.lookup", 1, 2],
          ["leave.requests.create", 1, 1],
        ],
      ],
      [
        1,
        [
          ["employees.lookup", 1, 1],
          ["payroll.payslips.get", 1, 1],
          ["llm.complete", 1, 1],
        ],
      ],
      [1, [["hr.tickets.create", 1, 1]]],
    ],
  },
  "infra-terraform": {
    share: 12,
    rhythm: "deploys",
    perDay: 3,
    credential: "jit_token",
    userAgent:
      "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 aws-sdk-go-v2/1.32.2 os/linux",
    tools: {
      "sts:GetCallerIdentity": t("auth", "sts", "internal", 400, 0.1),
      "ec2:DescribeInstances": t(
        "read",
        "ec2_instance",
        "internal",
        30 * KB,
        0.8,
        1,
        60,
      ),
      "ec2:DescribeSecurityGroups": t(
        "read",
        "security_group",
        "internal",
        12 * KB,
        0.6,
        1,
        40,
      ),
      "ec2:DescribeVpcs": t("read", "vpc", "internal", 4 * KB, 0.4, 1, 6),
      "iam:GetRole": t("read", "iam_role", "confidential", 3 * KB, 0.4),
      "iam:ListAttachedRolePolicies": t(
        "read",
        "iam_role",
        "confidential",
        2 * KB,
        0.4,
        1,
        10,
      ),
      "iam:GetPolicyVersion": t(
        "read",
        "iam_policy",
        "confidential",
        4 * KB,
        0.5,
      ),
      "s3:GetBucketPolicy": t(
        "read",
        "bucket_policy",
        "confidential",
        2 * KB,
        0.4,
      ),
      "lambda:GetFunction": t("read", "function", "internal", 5 * KB, 0.4),
      "kms:Decrypt": t("read", "kms_key", "restricted", 300, 0.2),
      "iam:CreateRole": t("admin", "iam_role", "restricted", 1 * KB, 0.2),
      "iam:PutRolePolicy": t("admin", "iam_policy", "restricted", 300, 0.2),
      "iam:AttachRolePolicy": t("admin", "iam_role", "restricted", 300, 0.2),
      "iam:PassRole": t("admin", "iam_role", "restricted", 200, 0.2),
      "s3:PutBucketPolicy": t("admin", "bucket_policy", "restricted", 200, 0.2),
      "s3:CreateBucket": t("write", "bucket", "internal", 300, 0.2),
      "ec2:AuthorizeSecurityGroupIngress": t(
        "admin",
        "security_group",
        "confidential",
        500,
        0.2,
      ),
      "ec2:RunInstances": t("execute", "ec2_instance", "internal", 6 * KB, 0.3),
      "ec2:CreateTags": t("write", "ec2_instance", "internal", 200, 0.1),
      "lambda:UpdateFunctionCode": t(
        "write",
        "function",
        "internal",
        2 * KB,
        0.3,
      ),
    },
    // A plan reads the state of everything it manages; an apply changes a few things.
    workflows: [
      [
        6,
        [
          ["sts:GetCallerIdentity", 1, 1],
          ["ec2:DescribeVpcs", 1, 2],
          ["ec2:DescribeSecurityGroups", 2, 8],
          ["ec2:DescribeInstances", 2, 10],
          ["iam:GetRole", 3, 12],
          ["iam:ListAttachedRolePolicies", 3, 12],
          ["iam:GetPolicyVersion", 2, 10],
          ["s3:GetBucketPolicy", 2, 8],
          ["lambda:GetFunction", 1, 8],
          ["kms:Decrypt", 0, 2],
          ["lambda:UpdateFunctionCode", 0, 4],
          ["ec2:CreateTags", 0, 6],
          ["iam:PutRolePolicy", 0, 2],
          ["ec2:AuthorizeSecurityGroupIngress", 0, 1],
        ],
      ],
      [
        1,
        [
          ["sts:GetCallerIdentity", 1, 1],
          ["iam:GetRole", 2, 6],
          ["iam:CreateRole", 1, 2],
          ["iam:PutRolePolicy", 1, 3],
          ["iam:AttachRolePolicy", 1, 3],
          ["iam:PassRole", 1, 2],
          ["s3:CreateBucket", 0, 1],
          ["s3:PutBucketPolicy", 0, 2],
          ["ec2:RunInstances", 0, 3],
          ["ec2:CreateTags", 0, 6],
        ],
      ],
    ],
  },
  "marketing-mailer": {
    share: 14,
    rhythm: "business",
    perDay: 12,
    credential: "api_key",
    userAgent: "campaign-runner/4.2 (go 1.23)",
    tools: {
      "contacts.segments.query": t(
        "read",
        "contact_list",
        "confidential",
        500 * KB,
        0.9,
        1000,
        20000,
      ),
      "templates.render": t("execute", "template", "internal", 30 * KB, 0.5),
      "mail.send": t("write", "email", "confidential", 400, 0.2),
      "campaigns.stats.get": t(
        "read",
        "campaign_metrics",
        "internal",
        5 * KB,
        0.5,
      ),
      "llm.complete": LLM,
    },
    workflows: [
      [
        3,
        [
          ["campaigns.stats.get", 1, 3],
          ["llm.complete", 0, 2],
        ],
      ],
      [
        3,
        [
          ["templates.render", 1, 2],
          ["llm.complete", 1, 3],
        ],
      ],
      [
        2,
        [
          ["contacts.segments.query", 1, 1],
          ["templates.render", 1, 1],
          ["mail.send", 2, 8],
        ],
      ],
    ],
  },
  "data-pipeline": {
    share: 16,
    rhythm: "always",
    perDay: 60,
    credential: "jit_token",
    userAgent: "airflow-worker/2.10.3 boto3/1.35",
    tools: {
      "kafka.consume": t(
        "read",
        "stream",
        "internal",
        200 * KB,
        0.7,
        100,
        5000,
      ),
      "s3:GetObject": t("read", "dataset", "confidential", 8 * MB, 1.0),
      "s3:PutObject": t("write", "dataset", "confidential", 300, 0.2),
      "warehouse.query": t(
        "read",
        "table",
        "confidential",
        2 * MB,
        1.1,
        1000,
        400000,
      ),
      "warehouse.load": t(
        "write",
        "table",
        "confidential",
        500,
        0.2,
        1000,
        400000,
      ),
    },
    workflows: [
      [
        6,
        [
          ["kafka.consume", 3, 12],
          ["s3:PutObject", 1, 2],
        ],
      ],
      [
        2,
        [
          ["s3:GetObject", 1, 4],
          ["warehouse.load", 1, 2],
        ],
      ],
      [
        2,
        [
          ["warehouse.query", 1, 3],
          ["s3:PutObject", 1, 1],
        ],
      ],
    ],
  },
  "security-scanner": {
    share: 16,
    rhythm: "always",
    perDay: 24,
    credential: "mtls",
    userAgent: "sentinel-scan/7.1.0",
    // A scanner checks what it may not do: a tenth of its calls are refused, always.
    deniedRate: 0.1,
    tools: {
      "iam:ListUsers": t(
        "read",
        "iam_user",
        "confidential",
        20 * KB,
        0.6,
        10,
        300,
      ),
      "iam:GetAccountAuthorizationDetails": t(
        "read",
        "iam_policy",
        "confidential",
        400 * KB,
        0.5,
      ),
      "s3:GetBucketAcl": t(
        "read",
        "bucket_policy",
        "confidential",
        2 * KB,
        0.3,
      ),
      "ec2:DescribeSecurityGroups": t(
        "read",
        "security_group",
        "internal",
        12 * KB,
        0.6,
        1,
        40,
      ),
      "vuln.scan.run": t("execute", "host", "internal", 50 * KB, 0.9),
      "secrets.scan": t("execute", "repository", "confidential", 20 * KB, 0.8),
      "findings.create": t("write", "finding", "internal", 1 * KB, 0.3),
    },
    workflows: [
      [
        4,
        [
          ["iam:ListUsers", 1, 1],
          ["iam:GetAccountAuthorizationDetails", 0, 1],
          ["s3:GetBucketAcl", 3, 15],
          ["findings.create", 0, 2],
        ],
      ],
      [
        4,
        [
          ["ec2:DescribeSecurityGroups", 1, 3],
          ["vuln.scan.run", 2, 10],
          ["findings.create", 0, 3],
        ],
      ],
      [
        2,
        [
          ["secrets.scan", 1, 5],
          ["findings.create", 0, 2],
        ],
      ],
    ],
  },
};

export const TENANTS = [
  { name: "northwind", offsetH: -5, account: "310452118872", net: 10 },
  { name: "contoso", offsetH: 1, account: "527713004190", net: 20 },
  { name: "fabrikam", offsetH: 9, account: "884120337611", net: 30 },
  { name: "tailspin", offsetH: 0, account: "196388412057", net: 40 },
];

export const TEAMS = [
  "platform",
  "growth",
  "finops",
  "people",
  "legal",
  "core",
  "data",
  "secops",
];
