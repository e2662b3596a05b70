import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDelegationGraph } from "./delegation-graph.js";

const options = {
  windowMs: 1000,
  maxEdges: 100,
  maxEdgesPerTenant: 100,
  maxCredentialsPerAgent: 2,
};

describe("delegation graph", () => {
  it("finds the whole tree below an agent, nearest first, with paths and credentials", () => {
    const graph = createDelegationGraph(options);
    graph.record("acme", ["root", "planner"], "key-p", 0);
    graph.record("acme", ["root", "planner", "worker-1"], "key-w1", 0);
    graph.record("acme", ["root", "planner", "worker-2"], "key-w2", 0);
    graph.record("acme", ["planner", "worker-1", "helper"], "key-h", 0);
    graph.record("other", ["planner", "stranger"], "key-s", 0);
    expect(graph.descendants("acme", "planner", 10)).toEqual([
      {
        agentId: "worker-1",
        path: ["planner", "worker-1"],
        credentialIds: ["key-w1"],
      },
      {
        agentId: "worker-2",
        path: ["planner", "worker-2"],
        credentialIds: ["key-w2"],
      },
      {
        agentId: "helper",
        path: ["planner", "worker-1", "helper"],
        credentialIds: ["key-h"],
      },
    ]);
    expect(graph.descendants("acme", "helper", 10)).toEqual([]);
  });

  it("ignores edges older than the window and survives cycles", () => {
    const graph = createDelegationGraph(options);
    graph.record("t", ["a", "b"], undefined, 0);
    graph.record("t", ["b", "a"], undefined, 0);
    graph.record("t", ["a", "c"], undefined, 5000);
    expect(graph.descendants("t", "a", 5500).map((d) => d.agentId)).toEqual([
      "c",
    ]);
    expect(
      graph
        .descendants("t", "a", 500)
        .map((d) => d.agentId)
        .sort(),
    ).toEqual(["b", "c"]);
  });

  it("records only what the gateway vouches for: the event's agent and its direct parent (issue 16)", () => {
    const graph = createDelegationGraph(options);
    // A chain forged by whoever reports "helper": it cannot link x to the payments agent.
    graph.record("acme", ["x", "acme-prod-payments", "helper"], "key-h", 0);
    expect(graph.descendants("acme", "x", 10)).toEqual([]);
    expect(
      graph.descendants("acme", "acme-prod-payments", 10).map((d) => d.agentId),
    ).toEqual(["helper"]);
  });

  it("gives each tenant its own share, so one tenant's flood keeps another's tree", () => {
    const graph = createDelegationGraph({
      ...options,
      maxEdges: 50,
      maxEdgesPerTenant: 10,
    });
    graph.record("acme", ["planner", "worker"], undefined, 0);
    for (let index = 0; index < 1000; index += 1)
      graph.record("evil", ["p", `flood-${index}`], undefined, 0);
    expect(graph.size).toBe(11);
    expect(
      graph.descendants("acme", "planner", 10).map((d) => d.agentId),
    ).toEqual(["worker"]);
  });

  it("keeps the most recent credentials of an agent", () => {
    const graph = createDelegationGraph(options);
    for (const id of ["k1", "k2", "k1", "k3"]) graph.record("t", ["x"], id, 0);
    expect(graph.credentials("t", "x")).toEqual(["k1", "k3"]);
  });

  it("stays within maxEdges and never lists the agent itself", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.constantFrom("a", "b", "c", "d", "e", "f"), {
            minLength: 1,
            maxLength: 5,
          }),
          { maxLength: 60 },
        ),
        (chains) => {
          const graph = createDelegationGraph({ ...options, maxEdges: 5 });
          for (const chain of chains) graph.record("t", chain, undefined, 0);
          expect(graph.size).toBeLessThanOrEqual(5);
          for (const agent of ["a", "b", "c"]) {
            const found = graph
              .descendants("t", agent, 0)
              .map((d) => d.agentId);
            expect(found).not.toContain(agent);
            expect(new Set(found).size).toBe(found.length);
          }
        },
      ),
    );
  });
});
