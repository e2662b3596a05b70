/**
 * NATS KV keys allow only `-/_=.A-Za-z0-9`, and `.` separates tokens. Agent ids hold
 * anything (`agent:x/1`), and subject tokens keep `:` — so each part is escaped here:
 * every byte outside `A-Za-z0-9_-` becomes `=XX` (hex), and the empty string is `=`.
 * Reversible and readable for ordinary ids.
 */
export function kvKeyToken(value: string): string {
  if (value === "") return "=";
  return [...Buffer.from(value, "utf8")]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9_-]/.test(char)
        ? char
        : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

export function fromKvKeyToken(token: string): string {
  if (token === "=") return "";
  const bytes: number[] = [];
  for (let index = 0; index < token.length; index += 1) {
    if (token[index] === "=") {
      bytes.push(Number.parseInt(token.slice(index + 1, index + 3), 16));
      index += 2;
    } else bytes.push(token.charCodeAt(index));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** The revoked-agents bucket key of one agent: `<tenant>.<agent>`, each part escaped. */
export function revokedAgentKey(tenant: string, agentId: string): string {
  return `${kvKeyToken(tenant)}.${kvKeyToken(agentId)}`;
}
