export type { RevocationSetClaims } from "./core/set.js";
export {
  SESSION_REVOKED_EVENT,
  buildRevocationSet,
  revocationJti,
} from "./core/set.js";
