// Kafka ACLs of Warden's principals (issue 16): each service may read and write only the topics
// and groups its code uses (shared/src/names.ts), and gateways may only write agent.audit.v1,
// so that agent.events.v1 — what the detector trusts — is writable by ingest alone. Applied by
// kafka-init.mjs --acls (the local stack with WARDEN_STACK_AUTH=true, compose, the Kubernetes
// Job warden-kafka-acls) as a super user; the broker must run an authorizer with
// allow.everyone.if.no.acl.found=false (deploy/local/kafka/auth.properties).
import kafkajs from "kafkajs";

const {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} = kafkajs;

/** The SCRAM user of each principal: `warden-<service>`, and `warden-gateway` for gateways. */
export const KAFKA_PRINCIPALS = Object.freeze({
  ingest: "warden-ingest",
  baseline: "warden-baseline",
  detector: "warden-detector",
  revoker: "warden-revoker",
  gateway: "warden-gateway",
});

/**
 * What each principal may do, as [resource type, name, operations, pattern]. READ and WRITE
 * imply DESCRIBE; WRITE implies the idempotent producer's IDEMPOTENT_WRITE (Kafka ≥ 3.0).
 */
export function wardenAcls(names) {
  const { topics, groups } = names;
  const topic = (name, ...operations) => ["TOPIC", name, operations, "LITERAL"];
  const group = (name, pattern = "LITERAL") => [
    "GROUP",
    name,
    ["READ"],
    pattern,
  ];
  return {
    [KAFKA_PRINCIPALS.ingest]: [
      topic(topics.audit, "READ"),
      topic(topics.events, "WRITE"),
      topic(topics.auditDlq, "WRITE"),
      group(groups.ingest),
    ],
    [KAFKA_PRINCIPALS.baseline]: [
      topic(topics.events, "READ"),
      topic(topics.decisions, "READ"),
      topic(topics.revocations, "READ"),
      group(groups.baseline),
    ],
    [KAFKA_PRINCIPALS.detector]: [
      topic(topics.events, "READ"),
      topic(topics.decisions, "WRITE"),
      group(groups.detector),
    ],
    // The revoker checks at start that every topic exists (listTopics lists only what a
    // principal may describe), reads agent.events.v1 for the delegation tree in groups of its own.
    [KAFKA_PRINCIPALS.revoker]: [
      ...Object.values(topics)
        .filter(
          (name) =>
            ![topics.events, topics.revocations, topics.findings].includes(
              name,
            ),
        )
        .map((name) => topic(name, "DESCRIBE")),
      topic(topics.events, "READ"),
      topic(topics.revocations, "WRITE"),
      topic(topics.findings, "WRITE"),
      group(names.revoker.delegationGroupPrefix, "PREFIXED"),
    ],
    [KAFKA_PRINCIPALS.gateway]: [topic(topics.audit, "WRITE")],
  };
}

/** The table above as kafkajs ACL entries, ALLOW from any host. */
export function aclEntries(names) {
  return Object.entries(wardenAcls(names)).flatMap(([user, grants]) =>
    grants.flatMap(([resourceType, resourceName, operations, pattern]) =>
      operations.map((operation) => ({
        resourceType: AclResourceTypes[resourceType],
        resourceName,
        resourcePatternType: ResourcePatternTypes[pattern],
        principal: `User:${user}`,
        host: "*",
        operation: AclOperationTypes[operation],
        permissionType: AclPermissionTypes.ALLOW,
      })),
    ),
  );
}
