import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Ago, Loading, StateTag } from "../components/Bits.js";
import { useNow } from "../hooks.js";
import { describeProblem } from "../api.js";
import { useSession } from "../session.js";

interface StreamHealth {
  readonly stream_id: string;
  readonly receiver: string;
  readonly aud: string;
  readonly delivery_method: string;
  readonly endpoint_url: string;
  readonly status: string;
  readonly reason?: string;
  readonly events_requested: readonly string[];
  readonly queued_events: number;
  readonly queued_control: number;
  readonly updated_at: string;
  readonly last_activity_at?: string;
  /** When the receiver last accepted a verification event. */
  readonly last_verified_at?: string;
}

interface DeliveryCounts {
  readonly stream_id: string;
  readonly delivered: number;
  readonly retrying: number;
  readonly refused: number;
  readonly dead_lettered: number;
  readonly dropped: number;
  readonly last_delivered_at: string | null;
}

const DAY_MS = 86_400_000;

/** SSF streams: their state at the transmitter, and what their deliveries did over a day. */
export function Receivers() {
  const { api } = useSession();
  const now = useNow(5_000);
  const [notice, setNotice] = useState<string>();
  const streams = useQuery({
    queryKey: ["streams"],
    queryFn: () => api.admin<{ streams: StreamHealth[] }>("/admin/streams"),
    refetchInterval: 5_000,
  });
  const counts = useQuery({
    queryKey: ["deliveries"],
    queryFn: () =>
      api.query<{ streams: DeliveryCounts[] }>("/v1/deliveries", {
        from: Date.now() - DAY_MS,
      }),
    refetchInterval: 5_000,
  });
  const countsOf = new Map(
    (counts.data?.streams ?? []).map((row) => [row.stream_id, row]),
  );
  async function verify(streamId: string) {
    try {
      await api.adminPost(
        `/admin/streams/${encodeURIComponent(streamId)}/verify`,
        {},
      );
      setNotice(
        `Verification event queued for stream ${streamId}: the receiver should answer it.`,
      );
    } catch (error) {
      setNotice(`Verification refused: ${describeProblem(error)}`);
    }
  }
  return (
    <section aria-labelledby="receivers-title">
      <h1 id="receivers-title">Receivers</h1>
      <p role="status" aria-live="polite" className="notice">
        {notice}
      </p>
      {!streams.data ? (
        <Loading what="streams" error={streams.error} />
      ) : streams.data.streams.length === 0 ? (
        <p className="empty">No SSF stream is configured.</p>
      ) : (
        <div className="table-wrap">
          <table className="cards">
            <thead>
              <tr>
                <th scope="col">Receiver</th>
                <th scope="col">Stream</th>
                <th scope="col">Status</th>
                <th scope="col">Queued</th>
                <th scope="col">Delivered (24 h)</th>
                <th scope="col">Failing (24 h)</th>
                <th scope="col">Dead-lettered</th>
                <th scope="col">Last delivery</th>
                <th scope="col">Verification</th>
              </tr>
            </thead>
            <tbody>
              {streams.data.streams.map((stream) => {
                const seen = countsOf.get(stream.stream_id);
                return (
                  <tr key={stream.stream_id}>
                    <td data-label="Receiver">
                      {stream.receiver}
                      <div className="hint">
                        {stream.delivery_method} → {stream.endpoint_url}
                      </div>
                    </td>
                    <td data-label="Stream">
                      <code>{stream.stream_id}</code>
                    </td>
                    <td data-label="Status">
                      <StateTag state={stream.status} />
                      {stream.reason ? (
                        <div className="hint">{stream.reason}</div>
                      ) : null}
                    </td>
                    <td data-label="Queued">{stream.queued_events}</td>
                    <td data-label="Delivered (24 h)">
                      {seen?.delivered ?? 0}
                    </td>
                    <td data-label="Failing (24 h)">
                      {(seen?.retrying ?? 0) + (seen?.refused ?? 0)}
                    </td>
                    <td data-label="Dead-lettered">
                      {seen?.dead_lettered ?? 0}
                    </td>
                    <td data-label="Last delivery">
                      {seen?.last_delivered_at ? (
                        <Ago at={seen.last_delivered_at} now={now} />
                      ) : (
                        "—"
                      )}
                    </td>
                    <td data-label="Verification">
                      <div className="verified">
                        {stream.last_verified_at ? (
                          <>
                            verified{" "}
                            <Ago at={stream.last_verified_at} now={now} />
                          </>
                        ) : (
                          "never verified"
                        )}
                      </div>
                      {stream.queued_control > 0
                        ? `${stream.queued_control} control event(s) waiting `
                        : ""}
                      <button
                        type="button"
                        className="secondary"
                        onClick={() => void verify(stream.stream_id)}
                      >
                        Send verification
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
