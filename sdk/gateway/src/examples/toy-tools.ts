import type { ActionVerb, Sensitivity } from "../audit-event.js";

/** A tool behind the example gateways: what it does to what, and a canned answer. */
export interface ToyTool {
  readonly verb: ActionVerb;
  readonly resource: {
    readonly id: string;
    readonly type: string;
    readonly sensitivity: Sensitivity;
  };
  run(args: Record<string, unknown>): {
    readonly records: number;
    readonly result: unknown;
  };
}

const contacts = Array.from({ length: 500 }, (_, i) => ({
  id: `c-${i}`,
  name: `Contact ${i}`,
  email: `contact${i}@example.com`,
}));

export const TOY_TOOLS: Readonly<Record<string, ToyTool>> = Object.freeze({
  "crm.contacts.read": {
    verb: "read",
    resource: {
      id: "crm:contacts",
      type: "crm.contact",
      sensitivity: "confidential",
    },
    run: (args) => {
      const found = contacts.filter((contact) => contact.id === args["id"]);
      return { records: found.length, result: found };
    },
  },
  "crm.contacts.export": {
    verb: "export",
    resource: {
      id: "crm:contacts",
      type: "crm.contact",
      sensitivity: "restricted",
    },
    run: () => ({ records: contacts.length, result: contacts }),
  },
  "weather.get": {
    verb: "read",
    resource: { id: "weather", type: "forecast", sensitivity: "public" },
    run: (args) => ({
      records: 1,
      result: {
        city: typeof args["city"] === "string" ? args["city"] : "Paris",
        forecast: "sunny",
      },
    }),
  },
});
