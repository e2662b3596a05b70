import { createContext, useContext } from "react";
import type { Api } from "./api.js";

export interface Session {
  readonly api: Api;
  readonly signOut: () => void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in console");
  return session;
}
