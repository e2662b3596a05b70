/**
 * Day-0 catalogue of high-impact control-plane and identity changes: data, versioned, each
 * entry mapped to MITRE ATT&CK technique ids, judged without any baseline (detectors/
 * control-plane.ts). An entry matches an action name by its words, not its spelling:
 * `iam.CreateAccessKey`, `iam.amazonaws.com:CreateAccessKey`, `iam:create_access_key` and
 * `iam.access_keys.create` all normalise to the words {iam, create, access, key}.
 */

export const CATALOGUE_VERSION = "2026-12-03.1";

export interface CatalogueEntry {
  readonly id: string;
  /** What it is, for the explanation. */
  readonly what: string;
  /** Every word must be present in the action's words (singular, lower case). */
  readonly all: readonly string[];
  /** At least one of these, when given (alternative spellings of one noun). */
  readonly any?: readonly string[];
  /** None of these (a read of the same noun: GetAccessKeyLastUsed). */
  readonly none?: readonly string[];
  readonly attack: readonly string[];
  /**
   * Bits of evidence with no history at all: how rare the change is among identities of any
   * kind, on the scale of evidence.ts (≈ −log₂ of its share of control-plane calls).
   */
  readonly bits: number;
  /** The stakes (risk.ts): what the change lets an intruder keep or take. */
  readonly impact: number;
}

/** Words that make a call a read of the same noun, never a change. */
const READS = ["get", "list", "describe", "read", "view", "lookup", "search"];

export const CATALOGUE: readonly CatalogueEntry[] = [
  {
    id: "create-user",
    what: "creates a user",
    all: ["create", "user"],
    none: ["pool", "group", "profile", "link"],
    attack: ["T1136.003"],
    bits: 14,
    impact: 8,
  },
  {
    id: "create-access-key",
    what: "creates access keys",
    all: ["create"],
    any: ["accesskey", "serviceaccountkey", "apikey", "key"],
    none: ["kms", "keypair", "pair", "ssh", "signing"],
    attack: ["T1098.001"],
    bits: 14,
    impact: 8,
  },
  {
    id: "login-profile",
    what: "creates or changes a console login profile",
    all: ["login", "profile"],
    any: ["create", "update"],
    attack: ["T1098.001", "T1078.004"],
    bits: 16,
    impact: 8,
  },
  {
    id: "trust-policy",
    what: "changes a role's trust policy",
    all: ["assume", "role", "policy"],
    any: ["update", "put", "set"],
    attack: ["T1098.003", "T1484.002"],
    bits: 16,
    impact: 9,
  },
  {
    id: "attach-admin-policy",
    what: "grants a policy to a user, role or group",
    all: ["policy"],
    any: ["attach", "put"],
    none: ["bucket", "key", "retention", "scaling", "lifecycle", "resource"],
    attack: ["T1098.003"],
    bits: 12,
    impact: 7,
  },
  {
    id: "set-iam-policy",
    what: "replaces an IAM policy or grants a role",
    all: ["iam", "policy"],
    any: ["set"],
    attack: ["T1098.003"],
    bits: 12,
    impact: 7,
  },
  {
    id: "role-assignment",
    what: "assigns a role",
    all: ["role"],
    any: ["assign", "assignment", "grant", "bind", "binding"],
    attack: ["T1098.003"],
    bits: 12,
    impact: 7,
  },
  {
    id: "policy-version",
    what: "creates or selects a managed policy version",
    all: ["policy", "version"],
    any: ["create", "set", "default"],
    attack: ["T1098.003"],
    bits: 14,
    impact: 7,
  },
  {
    id: "add-to-group",
    what: "adds a user to a group",
    all: ["add", "user", "group"],
    attack: ["T1098"],
    bits: 12,
    impact: 6,
  },
  {
    id: "share-snapshot",
    what: "shares a snapshot or image with another account",
    all: ["attribute"],
    any: ["snapshot", "image", "ami"],
    none: ["reset"],
    attack: ["T1537"],
    bits: 16,
    impact: 9,
  },
  {
    id: "resource-policy",
    what: "changes a bucket, key or repository policy (sharing with another account)",
    all: ["policy"],
    any: ["bucket", "key", "repository", "resource", "vault", "topic", "queue"],
    none: ["delete"],
    attack: ["T1537", "T1098"],
    bits: 12,
    impact: 7,
  },
  {
    id: "bucket-acl",
    what: "changes an object store ACL or public access block",
    all: ["bucket"],
    any: ["acl", "publicaccessblock", "public"],
    attack: ["T1537", "T1530"],
    bits: 12,
    impact: 7,
  },
  {
    id: "function-permission",
    what: "adds a permission to a function",
    all: ["add", "permission"],
    attack: ["T1098", "T1546"],
    bits: 14,
    impact: 7,
  },
  {
    id: "stop-logging",
    what: "stops, deletes or narrows audit logging",
    all: [],
    any: [
      "stoplogging",
      "deletetrail",
      "puteventselector",
      "deleteflowlog",
      "deleteloggroup",
      "updatetrail",
      "deletedetector",
      "disablesecurityhub",
      "deleteconfigurationrecorder",
      "stopconfigurationrecorder",
      "disablelogging",
      "deletesink",
      "deletelogging",
    ],
    attack: ["T1562.008"],
    bits: 18,
    impact: 9,
  },
  {
    id: "delete-backup",
    what: "deletes backups or snapshots",
    all: ["delete"],
    any: ["backup", "snapshot", "recoverypoint", "vault"],
    attack: ["T1490"],
    bits: 14,
    impact: 8,
  },
  {
    id: "kms-disable",
    what: "disables or schedules deletion of an encryption key",
    all: ["key"],
    any: ["disable", "scheduledeletion", "schedule"],
    attack: ["T1485", "T1486"],
    bits: 16,
    impact: 8,
  },
  {
    id: "open-ingress",
    what: "opens network ingress",
    all: ["authorize", "ingress"],
    attack: ["T1562.007"],
    bits: 10,
    impact: 5,
  },
  {
    id: "federation",
    what: "changes identity federation or SSO trust",
    all: [],
    any: [
      "createsamlprovider",
      "updatesamlprovider",
      "createopenidconnectprovider",
      "federation",
      "identityprovider",
    ],
    none: ["getfederationtoken"],
    attack: ["T1484.002"],
    bits: 16,
    impact: 9,
  },
];

/** Words of an action name: split on punctuation and camelCase, lower case, singular. */
export function actionWords(name: string): readonly string[] {
  const spaced = name
    .replace(/\.amazonaws\.com/gi, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2");
  return spaced
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== "")
    .map((word) => singular(word.toLowerCase()));
}

function singular(word: string): string {
  if (word.length > 4 && word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith("s") && !word.endsWith("ss"))
    return word.slice(0, -1);
  return word;
}

/** A word of an entry matches a single word, or adjacent words joined (access key = accesskey). */
function hasWord(
  words: readonly string[],
  joined: string,
  word: string,
): boolean {
  return words.includes(word) || joined.includes(word);
}

const cache = new Map<string, CatalogueEntry | null>();
const CACHE_CAP = 4096;

/** The first catalogue entry an action name matches, memoised (action names repeat). */
export function matchCatalogue(name: string): CatalogueEntry | undefined {
  const hit = cache.get(name);
  if (hit !== undefined) return hit ?? undefined;
  const words = actionWords(name);
  const joined = words.join("");
  let found: CatalogueEntry | undefined;
  if (!words.some((word) => READS.includes(word)))
    found = CATALOGUE.find(
      (entry) =>
        entry.all.every((word) => hasWord(words, joined, word)) &&
        (entry.any === undefined ||
          entry.any.some((word) => hasWord(words, joined, word))) &&
        !(entry.none ?? []).some((word) => hasWord(words, joined, word)),
    );
  if (cache.size >= CACHE_CAP) cache.clear();
  cache.set(name, found ?? null);
  return found;
}
