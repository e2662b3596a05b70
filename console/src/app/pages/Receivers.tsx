import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Ago, Loading, StateTag } from "../components/Bits.js";
import { DataTable, type Column } from "../components/DataTable.js";
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

const streamColumns = (
  now: number,
  countsOf: (streamId: string) => DeliveryCounts | undefined,
  verify: (streamId: string) => Promise<void>,
): readonly Column<StreamHealth>[] => [
  {
    label: "Receiver",
    cell: (stream) => (
      <>
        {stream.receiver}
        <div className="hint">
          {stream.delivery_method} → {stream.endpoint_url}
        </div>
      </>
    ),
  },
  { label: "Stream", cell: (stream) => <code>{stream.stream_id}</code> },
  {
    label: "Status",
    cell: (stream) => (
      <>
        <StateTag state={stream.status} />
        {stream.reason ? <div className="hint">{stream.reason}</div> : null}
      </>
    ),
  },
  { label: "Queued", cell: (stream) => stream.queued_events },
  {
    label: "Delivered (24 h)",
    cell: (stream) => countsOf(stream.stream_id)?.delivered ?? 0,
  },
  {
    label: "Failing (24 h)",
    cell: (stream) => {
      const seen = countsOf(stream.stream_id);
      return (seen?.retrying ?? 0) + (seen?.refused ?? 0);
    },
  },
  {
    label: "Dead-lettered",
    cell: (stream) => countsOf(stream.stream_id)?.dead_lettered ?? 0,
  },
  {
    label: "Last delivery",
    cell: (stream) => {
      const at = countsOf(stream.stream_id)?.last_delivered_at;
      return at ? <Ago at={at} now={now} /> : "—";
    },
  },
  {
    label: "Verification",
    cell: (stream) => (
      <>
        <div className="verified">
          {stream.last_verified_at ? (
            <>
              verified <Ago at={stream.last_verified_at} now={now} />
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
      </>
    ),
  },
];

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
        <DataTable
          cards
          columns={streamColumns(now, (id) => countsOf.get(id), verify)}
          rows={streams.data.streams}
          rowKey={(stream) => stream.stream_id}
        />
      )}
    </section>
  );
}
