import {
  QueryClient,
  QueryClientProvider,
  useQuery,
} from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { BrowserRouter, NavLink, Navigate, Route, Routes } from "react-router";
import {
  clearTokens,
  createApi,
  loadSettings,
  loadTokens,
  saveTokens,
  type Settings,
  type Tokens,
} from "./api.js";
import { SessionContext, useSession } from "./session.js";
import { SignIn } from "./pages/SignIn.js";
import { Incidents } from "./pages/Incidents.js";
import { AgentView } from "./pages/AgentView.js";
import { Approvals } from "./pages/Approvals.js";
import { Receivers } from "./pages/Receivers.js";
import { WhatIf } from "./pages/WhatIf.js";
import type { PendingApproval } from "./model.js";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: 1, refetchOnWindowFocus: true, staleTime: 1_000 },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter basename="/console">
        <Console />
      </BrowserRouter>
    </QueryClientProvider>
  );
}

function Console() {
  const settings = useQuery({
    queryKey: ["settings"],
    queryFn: loadSettings,
    staleTime: Infinity,
  });
  const [tokens, setTokens] = useState<Tokens | undefined>(loadTokens);
  const session = useMemo(
    () =>
      settings.data && tokens
        ? {
            api: createApi(settings.data, tokens),
            signOut() {
              clearTokens();
              queryClient.clear();
              setTokens(undefined);
            },
          }
        : undefined,
    [settings.data, tokens],
  );
  if (settings.isError)
    return <p role="alert">The console cannot reach its host.</p>;
  if (!settings.data) return <p aria-busy="true">Loading…</p>;
  if (!session)
    return (
      <SignIn
        settings={settings.data satisfies Settings}
        onSignedIn={(signedIn) => {
          saveTokens(signedIn);
          setTokens(signedIn);
        }}
      />
    );
  return (
    <SessionContext.Provider value={session}>
      <Shell />
    </SessionContext.Provider>
  );
}

function Shell() {
  const { api, signOut } = useSession();
  const approvals = useQuery({
    queryKey: ["approvals"],
    queryFn: () => api.admin<PendingApproval[]>("/admin/approvals"),
    refetchInterval: 3_000,
  });
  const pending = approvals.data?.length ?? 0;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Warden</span>
        <nav aria-label="Console">
          <NavLink to="/incidents">Incidents</NavLink>
          <NavLink to="/approvals">
            Approvals
            {pending > 0 ? (
              <span className="badge" aria-label={`${pending} pending`}>
                {pending}
              </span>
            ) : null}
          </NavLink>
          <NavLink to="/receivers">Receivers</NavLink>
          <NavLink to="/what-if">What-if</NavLink>
        </nav>
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Navigate to="/incidents" replace />} />
          <Route path="/incidents" element={<Incidents />} />
          <Route path="/agents/:tenant/:agent" element={<AgentView />} />
          <Route path="/approvals" element={<Approvals />} />
          <Route path="/receivers" element={<Receivers />} />
          <Route path="/what-if" element={<WhatIf />} />
          <Route path="*" element={<p>No such page.</p>} />
        </Routes>
      </main>
    </>
  );
}
