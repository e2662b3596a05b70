import { createRequire } from "node:module";
import type * as IpAddr from "ipaddr.js";

// ipaddr.js is CommonJS without named exports Node can detect, and the strict tsconfig has no
// synthetic default imports: load it through require, typed by its own declarations.
const ipaddr = createRequire(import.meta.url)("ipaddr.js") as typeof IpAddr;

/**
 * SSRF guard for receiver-supplied URLs (issue 6, Security): https only unless http is
 * allowed, and no address outside the public unicast space unless an allow-listed range
 * holds it. The adapter checks every address a name resolves to, at connect time.
 */
export interface UrlPolicy {
  readonly allowHttp: boolean;
  /** CIDR ranges receivers may point at although private or loopback, e.g. 10.0.0.0/8. */
  readonly allowedCidrs: readonly string[];
}

export type Check =
  { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: Check = { ok: true };

export function checkReceiverUrl(url: string, policy: UrlPolicy): Check {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: "not a URL" };
  }
  if (
    parsed.protocol !== "https:" &&
    !(parsed.protocol === "http:" && policy.allowHttp)
  )
    return {
      ok: false,
      reason: `scheme ${parsed.protocol} not allowed (https only)`,
    };
  if (parsed.username || parsed.password)
    return { ok: false, reason: "credentials in the URL are not allowed" };
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  return ipaddr.isValid(host) ? checkAddress(host, policy) : OK;
}

function isIpv4Compatible(ip: IpAddr.IPv6): boolean {
  const parts = ip.parts;
  return (
    parts.slice(0, 6).every((part) => part === 0) &&
    (parts[6] ?? 0) + (parts[7] ?? 0) > 1
  );
}

/** Whether a connection to `address` (IPv4 or IPv6 text) is allowed. */
export function checkAddress(address: string, policy: UrlPolicy): Check {
  if (!ipaddr.isValid(address))
    return { ok: false, reason: `${address} is not an IP address` };
  let ip = ipaddr.parse(address);
  if (ip.kind() === "ipv6" && (ip as IpAddr.IPv6).isIPv4MappedAddress())
    ip = (ip as IpAddr.IPv6).toIPv4Address();
  // ::a.b.c.d (IPv4-compatible, deprecated by RFC 4291 §2.5.5.1) is "unicast" to ipaddr.js, yet
  // stacks that still route it reach a.b.c.d — e.g. [::127.0.0.1] or [::169.254.169.254] (issue 16).
  // :: and ::1 keep their own ranges below.
  if (ip.kind() === "ipv6" && isIpv4Compatible(ip as IpAddr.IPv6))
    return {
      ok: false,
      reason: `${address} is an IPv4-compatible IPv6 address (::/96, deprecated)`,
    };
  for (const cidr of policy.allowedCidrs) {
    const [range, bits] = ipaddr.parseCIDR(cidr);
    if (range.kind() === ip.kind() && ip.match(range, bits)) return OK;
  }
  const range = ip.range();
  return range === "unicast"
    ? OK
    : {
        ok: false,
        reason: `${address} is in the ${range} range (not allow-listed)`,
      };
}

/** Throws on a malformed CIDR; for config validation. */
export function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}
