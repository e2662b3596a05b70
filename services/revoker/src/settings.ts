import type { SsfApiOptions } from "./adapters/ssf-api.js";
import type { createTransmitter } from "./adapters/transmitter.js";
import type { RevokerConfig } from "./config.js";
import { subjectIssuer, TENANT_PLACEHOLDER } from "./core/subject.js";
import type { RevokerMetrics } from "./metrics.js";
import { createOAuthVerifier } from "./oauth.js";
import type { RotatingSigningKeys } from "./signing-key.js";

type TransmitterOptions = Parameters<typeof createTransmitter>[0];

/**
 * What the transmitter takes from the revoker's config alone. One definition for both hosts
 * (main.ts and the all-in-one's local-revoker.ts), so they sign and deliver alike.
 */
export function transmitterSettings(
  config: RevokerConfig,
  issuer: string,
): Pick<
  TransmitterOptions,
  "issuer" | "defaultSubjects" | "setOptions" | "delivery"
> {
  return {
    issuer,
    defaultSubjects: config.defaultSubjects,
    setOptions: {
      ...config.sets,
      subjectIssuer: subjectIssuer(
        config.sets.subjectIssuerTemplate ??
          `${issuer.replace(/\/+$/, "")}/tenants/${TENANT_PLACEHOLDER}`,
        config.sets.tenantSubjectIssuers,
      ),
    },
    delivery: {
      ...config.delivery,
      urlPolicy: config.urlPolicy,
      failureThreshold: config.delivery.breakerFailures,
      openMs: config.delivery.breakerOpenMs,
    },
  };
}

/**
 * What the SSF API takes from the revoker's config and keys: receivers, OAuth, intervals and
 * manual key rotation (counted). Both hosts serve the same API with the same checks.
 */
export function ssfApiSettings(
  config: RevokerConfig,
  issuer: string,
  keys: RotatingSigningKeys,
  metrics: RevokerMetrics,
): Omit<
  SsfApiOptions,
  "store" | "keys" | "transmitter" | "approvals" | "queueDepth" | "logger"
> {
  return {
    issuer,
    receivers: config.receivers,
    defaultSubjects: config.defaultSubjects,
    urlPolicy: config.urlPolicy,
    minVerificationIntervalMs: config.delivery.minVerificationIntervalMs,
    pollWaitMs: config.delivery.pollWaitMs,
    inactivityTimeoutMs: config.delivery.inactivityTimeoutMs,
    quotas: {
      maxStreamsPerReceiver: config.delivery.maxStreamsPerReceiver,
      maxSubjectsPerStream: config.delivery.maxSubjectsPerStream,
    },
    onQuota: (quota) => metrics.quotaRefusals.labels(quota).inc(),
    keyRing: {
      describe: () => keys.describe(),
      rotateNow: async () => {
        const rotated = await keys.rotateNow();
        metrics.keyRotations.labels("manual").inc();
        return rotated;
      },
    },
    oauth:
      config.oauth &&
      createOAuthVerifier({
        ...config.oauth,
        audience: config.oauth.audience ?? issuer,
      }),
    oauthRefused: (reason) => metrics.oauthRefused.labels(reason).inc(),
  };
}
