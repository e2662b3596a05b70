import { describeProblem, formText } from "../api.js";
import { useEffect, useRef, useState, type FormEvent } from "react";

export interface PendingAction {
  readonly title: string;
  /** What happens when confirmed, in one sentence. */
  readonly consequence: string;
  readonly confirm: string;
  readonly danger?: boolean;
  readonly run: (reason: string) => Promise<unknown>;
}

/**
 * Every action asks why: the reason goes with the call into the audit trail. A modal dialog
 * (the platform's: focus stays inside, Escape cancels).
 */
export function ReasonDialog(props: {
  action: PendingAction | undefined;
  onClose: (done: boolean) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const { action, onClose } = props;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (action && !element.open) {
      setProblem(undefined);
      element.showModal();
    }
    if (!action && element.open) element.close();
  }, [action]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    if (!action) return;
    const reason = formText(new FormData(form), "reason");
    if (!reason)
      return setProblem("A reason is required: it goes into the audit trail.");
    setBusy(true);
    try {
      await action.run(reason);
      form.reset();
      onClose(true);
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={dialog}
      aria-labelledby="reason-title"
      onClose={() => action && onClose(false)}
    >
      {action ? (
        <form onSubmit={(event) => void submit(event)}>
          <h2 id="reason-title">{action.title}</h2>
          <p>{action.consequence}</p>
          <label>
            Reason (kept in the audit trail)
            <textarea
              name="reason"
              required
              rows={3}
              maxLength={500}
              autoFocus
            />
          </label>
          {problem ? (
            <p role="alert" className="problem">
              {problem}
            </p>
          ) : null}
          <div className="buttons">
            <button
              type="button"
              className="secondary"
              onClick={() => onClose(false)}
            >
              Cancel
            </button>
            <button
              type="submit"
              className={action.danger ? "danger" : ""}
              disabled={busy}
            >
              {busy ? "Working…" : action.confirm}
            </button>
          </div>
        </form>
      ) : null}
    </dialog>
  );
}
