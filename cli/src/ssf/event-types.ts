import {
  AGENT_EVENT_TYPES as AGENT_EVENT_TYPE_URIS,
  shortEventName,
} from "@warden/revoker";

/**
 * The event types a receiver may ask for (CAEP 1.0, RISC 1.0), by the short names people
 * type; full URIs are always accepted too.
 */
export const AGENT_EVENT_TYPES: Readonly<Record<string, string>> =
  Object.fromEntries(
    AGENT_EVENT_TYPE_URIS.map((uri) => [shortEventName(uri), uri]),
  );

export const SHORT_EVENT_NAMES: readonly string[] =
  Object.keys(AGENT_EVENT_TYPES);

export { shortEventName };
