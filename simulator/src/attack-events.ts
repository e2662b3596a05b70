import type { AuditEventV1 } from "@warden/shared";
import {
  ADMIN_ACTIONS,
  EXPORTABLE_RESTRICTED,
  PROBE_ACTIONS,
  SENSITIVE_RESOURCES,
  type ActionSpec,
  type ResourceType,
} from "./kinds.js";
import { agentAt, type Agent } from "./population.js";
import { below, hashHex, logNormal, pick, unit, type Rng } from "./random.js";
import type { Episode } from "./scenario.js";
import {
  baseEvent,
  chooseAction,
  modelUsage,
  transferBytes,
  type EventContext,
} from "./normal-event.js";

// The attacks' own events: each kind leaves the signature a detector should find (see cli/README.md).

const RUNAWAY_ERRORS = [429, 500, 503];

const PERSISTENCE_ACTIONS = [
  "iam.CreateUser",
  "iam.CreateAccessKey",
  "iam.CreateLoginProfile",
  "iam.AttachUserPolicy",
  "iam.UpdateAssumeRolePolicy",
  "rds.ModifyDBSnapshotAttribute",
  "s3.PutBucketPolicy",
  "lambda.AddPermission",
];

const SEQUENCE_HIJACK_CHAIN = [
  "github.repos.clone",
  "k8s.deployments.patch",
  "github.checks.create",
  "k8s.deployments.patch",
];

// Per generator run (its context) and episode: how far along its chain the attack is. Events
// are built in emission order, so the chain is followed call after call.
const chainSteps = new WeakMap<EventContext, Map<string, number>>();

function nextStep(context: EventContext, episodeId: string): number {
  let steps = chainSteps.get(context);
  if (!steps) chainSteps.set(context, (steps = new Map<string, number>()));
  const step = steps.get(episodeId) ?? 0;
  steps.set(episodeId, step + 1);
  return step;
}

const EXTERNAL_DELEGATION: ActionSpec = {
  name: "agents.delegate",
  verb: "delegate",
  resource: { type: "agent", vocabulary: 4, sensitivity: "restricted" },
  weight: 1,
  bytesMedian: 300,
  bytesSigma: 0.5,
  recordsMedian: 0,
  target: "https://agents.example-external.net/",
};

export function attackEvent(
  context: EventContext,
  sequence: number,
  timeMs: number,
  agent: Agent,
  episode: Episode,
): AuditEventV1 {
  const { rng, population } = context;
  const variant = episode.variant;
  switch (episode.kind) {
    case "runaway_loop": {
      // The same call on the same resource, over and over, mostly failing and retried.
      const action =
        agent.kind.actions[variant % agent.kind.actions.length] ??
        chooseAction(rng, agent.kind.actions);
      const event = baseEvent(context, sequence, timeMs, agent, action, {
        resourceId: `${action.resource.type}:${variant % action.resource.vocabulary}`,
      });
      if (unit(rng) < 0.6) {
        event.outcome = "error";
        event.status_code = pick(rng, RUNAWAY_ERRORS);
        event.bytes_out = 150 + below(rng, 100);
      }
      event.task_id = `loop-${hashHex(population.seed, episode.variant)}`;
      return event;
    }
    case "bulk_export":
      return exportEvent(
        context,
        sequence,
        timeMs,
        agent,
        EXPORTABLE_RESTRICTED,
        {
          bytesMedian: 20e6,
          recordsMedian: 50_000,
          host: "warehouse.internal",
        },
      );
    case "slow_exfiltration":
      return exportEvent(
        context,
        sequence,
        timeMs,
        agent,
        pick(rng, SENSITIVE_RESOURCES.slice(3)),
        {
          bytesMedian: 2e6,
          recordsMedian: 2_000,
          host: "files.example-share.net",
        },
      );
    case "novel_sensitive_access": {
      const type = pick(rng, SENSITIVE_RESOURCES);
      const event = baseEvent(
        context,
        sequence,
        timeMs,
        agent,
        sensitiveRead(type),
        {
          resourceId: `${type.type}:${below(rng, type.vocabulary)}`,
        },
      );
      return withOutcome(event, unit(rng) < 0.2 ? "denied" : "success");
    }
    case "privilege_escalation": {
      // Denied at first, then it finds a grant that works.
      const progress =
        (timeMs - episode.startMs) / (episode.endMs - episode.startMs);
      const event = baseEvent(
        context,
        sequence,
        timeMs,
        agent,
        pick(rng, ADMIN_ACTIONS),
      );
      event.credential.scopes = [
        ...(event.credential.scopes ?? []),
        "iam:admin",
      ];
      return withOutcome(event, progress < 0.6 ? "denied" : "success");
    }
    case "denied_call_probing": {
      const event = baseEvent(
        context,
        sequence,
        timeMs,
        agent,
        pick(rng, PROBE_ACTIONS),
      );
      return withOutcome(event, unit(rng) < 0.9 ? "denied" : "error");
    }
    case "credential_sharing": {
      // The victim's credential, in other hands, from addresses it never used.
      const holders = [agent.index, ...episode.accomplices];
      const strangerDraw = below(
        rng,
        holders.length + episode.strangerIds.length,
      );
      const user = agentAt(population, holders[strangerDraw] ?? agent.index);
      const event = baseEvent(
        context,
        sequence,
        timeMs,
        user,
        chooseAction(rng, agent.kind.actions),
        {
          credentialOf: agent,
          ip: pick(rng, episode.ips),
        },
      );
      const strangerId = episode.strangerIds[strangerDraw - holders.length];
      if (strangerId !== undefined) {
        event.agent = { id: strangerId };
        delete event.delegation;
        delete event.on_behalf_of;
      }
      return event;
    }
    case "delegation_abuse": {
      // A sub-agent reaching data its chain never touches, or handing work to unknown agents.
      if (unit(rng) < 0.3) {
        return baseEvent(
          context,
          sequence,
          timeMs,
          agent,
          EXTERNAL_DELEGATION,
          {
            resourceId: `agent:external/${hashHex(population.seed, variant, below(rng, 4))}`,
          },
        );
      }
      const type = pick(rng, SENSITIVE_RESOURCES);
      return baseEvent(context, sequence, timeMs, agent, sensitiveRead(type), {
        resourceId: `${type.type}:${below(rng, type.vocabulary)}`,
      });
    }
    case "control_plane_persistence": {
      // Persistence through the control plane, in the cloud provider's own spelling (a
      // CloudTrail mapper's eventSource.eventName): a user, keys, a login profile, a backdoored
      // trust policy, a snapshot shared out.
      const name = pick(rng, PERSISTENCE_ACTIONS);
      return baseEvent(context, sequence, timeMs, agent, {
        name,
        verb: "admin",
        // Labelled internal, not restricted: the catalogue, not a sensitivity label, must find it.
        resource: {
          type: "cloud_identity",
          vocabulary: 50,
          sensitivity: "internal",
        },
        weight: 1,
        bytesMedian: 800,
        bytesSigma: 0.4,
        recordsMedian: 0,
        target: "https://iam.amazonaws.com/",
      });
    }
    case "counterparty_hijack": {
      // The agent's usual payment tool, paying an account it never paid.
      const spec =
        agent.kind.actions.find((a) => a.verb === "write") ??
        chooseAction(rng, agent.kind.actions);
      const event = baseEvent(context, sequence, timeMs, agent, spec);
      event.action.counterparty = `iban:XX${hashHex(population.seed, variant).slice(0, 14)}`;
      return withOutcome(event, "success");
    }
    case "stolen_workload_credentials":
      // The workload's credential, used from a network it never ran in, while it keeps running.
      return baseEvent(
        context,
        sequence,
        timeMs,
        agent,
        chooseAction(rng, agent.kind.actions),
        { ip: pick(rng, episode.ips) },
      );
    case "dormant_reactivation": {
      // Someone else with a long-unused identity: straight for the sensitive data, between a
      // few of the agent's own calls.
      if (unit(rng) < 0.35)
        return baseEvent(
          context,
          sequence,
          timeMs,
          agent,
          chooseAction(rng, agent.kind.actions),
        );
      const type = pick(rng, SENSITIVE_RESOURCES);
      return baseEvent(context, sequence, timeMs, agent, sensitiveRead(type), {
        resourceId: `${type.type}:${below(rng, type.vocabulary)}`,
      });
    }
    case "sequence_hijack": {
      // A CI identity deploying by hand, outside any pipeline run: clone, patch the deployment,
      // mark the check green, patch again — its own tools, in an order its runs never use.
      const name =
        SEQUENCE_HIJACK_CHAIN[nextStep(context, episode.id) % 4] ??
        "github.repos.clone";
      const spec =
        [...agent.kind.actions, ...(agent.kind.bursts?.actions ?? [])].find(
          (a) => a.name === name,
        ) ?? chooseAction(rng, agent.kind.actions);
      return withOutcome(
        baseEvent(context, sequence, timeMs, agent, spec),
        "success",
      );
    }
    case "new_identity_burst":
      // A key Warden has never seen, from its first call several a second: its kind's tools.
      return baseEvent(
        context,
        sequence,
        timeMs,
        agent,
        chooseAction(rng, agent.kind.bursts?.actions ?? agent.kind.actions),
      );
    case "llm_spend_spike": {
      // Its own model tool, with prompts 20–100× its usual (a runaway context, a loop feeding
      // its output back in): the bill, not the call count, is what changed.
      const spec =
        agent.kind.actions.find((a) => a.tokens !== undefined) ??
        chooseAction(rng, agent.kind.actions);
      const event = withOutcome(
        baseEvent(context, sequence, timeMs, agent, spec),
        "success",
      );
      if (spec.tokens)
        event.usage = modelUsage(
          context,
          sequence,
          agent,
          spec.tokens,
          20 + (variant % 81),
        );
      return event;
    }
    case "off_hours":
      return baseEvent(
        context,
        sequence,
        timeMs,
        agent,
        chooseAction(rng, agent.kind.actions),
      );
    default:
      return baseEvent(
        context,
        sequence,
        timeMs,
        agent,
        chooseAction(rng, agent.kind.actions),
      );
  }
}

function sensitiveRead(type: ResourceType): ActionSpec {
  return {
    name: `${type.type.split("_")[0] ?? "data"}.${type.type}.get`,
    verb: "read",
    resource: type,
    weight: 1,
    bytesMedian: 20_000,
    bytesSigma: 0.8,
    recordsMedian: 0,
    target: `https://${type.type.replaceAll("_", "-")}.internal/`,
  };
}

function exportEvent(
  context: EventContext,
  sequence: number,
  timeMs: number,
  agent: Agent,
  type: ResourceType,
  shape: { bytesMedian: number; recordsMedian: number; host: string },
): AuditEventV1 {
  const action: ActionSpec = {
    name: `${type.type}.export`,
    verb: "export",
    resource: type,
    weight: 1,
    bytesMedian: shape.bytesMedian,
    bytesSigma: 0.5,
    recordsMedian: shape.recordsMedian,
    target: `https://${shape.host}/`,
  };
  const event = baseEvent(context, sequence, timeMs, agent, action, {
    resourceId: `${type.type}:${below(context.rng, type.vocabulary)}`,
  });
  return withOutcome(event, "success", action, context.rng);
}

/** Forces an outcome, keeping status, bytes and records consistent with it. */
function withOutcome(
  event: AuditEventV1,
  outcome: AuditEventV1["outcome"],
  action?: ActionSpec,
  rng?: Rng,
): AuditEventV1 {
  event.outcome = outcome;
  if (outcome === "success") {
    event.status_code = event.action.verb === "write" ? 201 : 200;
    if (action && rng) {
      event.bytes_out = transferBytes(rng, action);
      event.records = Math.max(
        1,
        Math.round(logNormal(rng, Math.log(action.recordsMedian || 1), 0.5)),
      );
    }
    return event;
  }
  event.status_code = outcome === "denied" ? 403 : 500;
  event.bytes_out = 120;
  delete event.records;
  return event;
}
