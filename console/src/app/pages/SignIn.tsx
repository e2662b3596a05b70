import { useState, type FormEvent } from "react";
import {
  ApiError,
  createApi,
  describeProblem,
  formText,
  type Settings,
  type Tokens,
} from "../api.js";

/** Tokens are checked against both APIs before they are kept (session storage, this tab only). */
export function SignIn(props: {
  settings: Settings;
  onSignedIn(tokens: Tokens): void;
}) {
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const admin = formText(form, "admin");
    const query = formText(form, "query") || admin;
    const tokens = { admin, query };
    const api = createApi(props.settings, tokens);
    setBusy(true);
    setProblem(undefined);
    try {
      await api.admin("/admin/approvals");
    } catch (error) {
      setBusy(false);
      return setProblem(explain("admin", error));
    }
    try {
      await api.query("/v1/incidents", { limit: 1 });
    } catch (error) {
      setBusy(false);
      return setProblem(explain("query", error));
    }
    props.onSignedIn(tokens);
  }

  return (
    <main id="main" className="signin">
      <h1>Warden console</h1>
      <form
        onSubmit={(event) => void submit(event)}
        aria-describedby="signin-help"
      >
        <p id="signin-help">
          Sign in with the same tokens the APIs take. They stay in this browser
          tab only and are forgotten when it closes.
        </p>
        <label>
          Admin token (scope warden.admin)
          <input
            name="admin"
            type="password"
            autoComplete="off"
            required
            autoFocus
          />
        </label>
        <label>
          Query API token <span className="hint">(empty: the same token)</span>
          <input name="query" type="password" autoComplete="off" />
        </label>
        {problem ? (
          <p role="alert" className="problem">
            {problem}
          </p>
        ) : null}
        <button type="submit" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}

function explain(which: "admin" | "query", error: unknown): string {
  const api = which === "admin" ? "The admin API" : "The query API";
  if (
    error instanceof ApiError &&
    (error.status === 401 || error.status === 403)
  )
    return `${api} refused the token (${error.status}).`;
  return `${api} could not be reached: ${describeProblem(error)}`;
}
