import type { Command } from "commander";
import { UsageError } from "../api-client.js";
import {
  formatStatus,
  formatStreamDetails,
  formatStreamList,
  type StreamConfiguration,
  type StreamStatusAnswer,
} from "./format.js";
import {
  SUBJECT_FORMATS,
  checkStreamId,
  createStreamRequest,
  parseStatus,
  replaceStreamRequest,
  subjectFromOptions,
  updateStreamRequest,
  type StreamOptions,
  type SubjectOptions,
} from "./options.js";
import { openSsfClient, readRevokerConnection } from "./ssf-client.js";

const ENV_HELP = `
Environment:
  WARDEN_SSF_TOKEN    bearer token of a revoker receiver (scope ssf.manage, or ssf.read to look);
                      read from the environment so it stays out of shell history; never printed
  WARDEN_REVOKER_URL  the revoker's issuer URL (default http://127.0.0.1:8088)

Exit codes: 0 done, 1 failed (revoker down or refused), 2 bad usage, 3 no such stream,
4 token refused or lacking the scope.`;

const example = (...lines: string[]) =>
  `\nExample:\n${lines.map((line) => `  $ ${line}`).join("\n")}\n${ENV_HELP}`;

interface RawStreamOptions {
  readonly push?: string;
  readonly poll?: boolean;
  readonly authorizationEnv?: string;
  readonly events?: string;
  readonly description?: string;
  readonly audience?: string;
  readonly subjectFormat?: string;
  readonly json: boolean;
}

function connect() {
  return openSsfClient(
    readRevokerConnection(
      process.env,
      "WARDEN_SSF_TOKEN",
      "bearer token of a revoker receiver with scope ssf.manage (ssf.read for list, show, status get)",
    ),
  );
}

/** Reads the push Authorization header from the variable named by --authorization-env. */
function streamOptions(raw: RawStreamOptions): StreamOptions {
  let authorization: string | undefined;
  if (raw.authorizationEnv !== undefined) {
    authorization = process.env[raw.authorizationEnv];
    if (!authorization)
      throw new UsageError(
        `--authorization-env: the variable ${raw.authorizationEnv} is empty or not set`,
      );
  }
  return {
    ...(raw.push === undefined ? {} : { push: raw.push }),
    ...(raw.poll ? { poll: true } : {}),
    ...(authorization === undefined ? {} : { authorization }),
    ...(raw.events === undefined ? {} : { events: raw.events }),
    ...(raw.description === undefined ? {} : { description: raw.description }),
    ...(raw.audience === undefined ? {} : { audience: raw.audience }),
    ...(raw.subjectFormat === undefined
      ? {}
      : { subjectFormat: raw.subjectFormat }),
  };
}

function withStreamOptions(command: Command): Command {
  return command
    .option("--push <url>", "deliver by RFC 8935 push to this https URL")
    .option(
      "--authorization-env <variable>",
      "environment variable holding the Authorization header the revoker sends with each push",
    )
    .option("--poll", "deliver by RFC 8936 poll (the revoker supplies the URL)")
    .option(
      "--events <list>",
      "comma-separated: all, session-revoked, credential-change, account-disabled, account-enabled, assurance-level-change, token-claims-change, or full URIs",
    )
    .option("--description <text>", "a description of the stream")
    .option(
      "--audience <aud>",
      "the aud you expect (set by the revoker per receiver; refused if it differs)",
    )
    .option(
      "--subject-format <format>",
      `how agents are named in sub_id: ${SUBJECT_FORMATS.join(", ")}`,
    )
    .option("--json", "print the stream configuration as JSON", false);
}

const print = (json: boolean, value: unknown, text: string): void => {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : text);
};

function withStatus(
  config: StreamConfiguration,
  status: StreamStatusAnswer,
): Record<string, unknown> {
  return {
    ...config,
    status: status.status,
    ...(status.reason ? { reason: status.reason } : {}),
  };
}

/** `list` and `show`: the streams of the caller's receiver and their status. */
function registerStreamReads(receivers: Command): void {
  receivers
    .command("list")
    .description("the streams of your receiver, with their status")
    .option("--json", "a JSON array of stream configurations", false)
    .addHelpText("after", example("warden receivers list --json"))
    .action(async (options: { json: boolean }) => {
      const client = await connect();
      const streams = await client.list();
      const rows = await Promise.all(
        streams.map(async (config) => ({
          config,
          status: await client.status(config.stream_id),
        })),
      );
      print(
        options.json,
        rows.map(({ config, status }) => withStatus(config, status)),
        formatStreamList(rows),
      );
    });

  receivers
    .command("show <stream-id>")
    .description("one stream's configuration and status")
    .option("--json", "the stream configuration as JSON", false)
    .addHelpText(
      "after",
      example("warden receivers show f67e39a0a4d34d56b3aa1bc4cff0069f"),
    )
    .action(async (streamId: string, options: { json: boolean }) => {
      const client = await connect();
      const config = await client.get(checkStreamId(streamId));
      const status = await client.status(config.stream_id);
      print(
        options.json,
        withStatus(config, status),
        formatStreamDetails(config, status),
      );
    });
}

/** `add`, `update` (PATCH, or PUT with --replace) and `remove`. */
function registerStreamChanges(receivers: Command): void {
  withStreamOptions(
    receivers
      .command("add")
      .description(
        "create a stream: push to a URL or poll; events default to all",
      ),
  )
    .addHelpText(
      "after",
      example(
        'export IDP_PUSH_AUTH="Bearer $(cat idp-push-token)"',
        "warden receivers add --push https://idp.example/ssf/events --authorization-env IDP_PUSH_AUTH --events session-revoked,credential-change",
        'warden receivers add --poll --events all --description "SIEM"',
      ),
    )
    .action(async (raw: RawStreamOptions) => {
      const body = createStreamRequest(streamOptions(raw));
      const created = await (await connect()).create(body);
      print(raw.json, created, `created stream ${created.stream_id}\n`);
    });

  withStreamOptions(
    receivers
      .command("update <stream-id>")
      .description(
        "change a stream (PATCH): only the options given change; give --authorization-env again with a new --push; --replace sends the whole configuration (PUT)",
      )
      .option(
        "--replace",
        "replace the configuration (PUT): what is not given is deleted; --push or --poll required",
        false,
      ),
  )
    .addHelpText(
      "after",
      example(
        "warden receivers update f67e39a0a4d34d56b3aa1bc4cff0069f --events all --description 'IdP, every event'",
        "warden receivers update f67e39a0a4d34d56b3aa1bc4cff0069f --replace --poll --events session-revoked",
      ),
    )
    .action(
      async (
        streamId: string,
        raw: RawStreamOptions & { readonly replace: boolean },
      ) => {
        const options = streamOptions(raw);
        const client = await connect();
        const updated = raw.replace
          ? await client.replace(replaceStreamRequest(streamId, options))
          : await client.update(updateStreamRequest(streamId, options));
        print(
          raw.json,
          updated,
          `${raw.replace ? "replaced" : "updated"} stream ${updated.stream_id}\n`,
        );
      },
    );

  receivers
    .command("remove <stream-id>")
    .description("delete a stream; SETs still queued for it are dropped")
    .addHelpText(
      "after",
      example("warden receivers remove f67e39a0a4d34d56b3aa1bc4cff0069f"),
    )
    .action(async (streamId: string) => {
      await (await connect()).remove(checkStreamId(streamId));
      process.stdout.write(`removed stream ${streamId}\n`);
    });
}

/** `status get|set`: enabled, paused, disabled (SSF 1.0 §8.1.2). */
function registerStreamStatus(receivers: Command): void {
  const status = receivers
    .command("status")
    .description("read or change a stream's status: enabled, paused, disabled")
    .addHelpText(
      "after",
      example(
        "warden receivers status get f67e39a0a4d34d56b3aa1bc4cff0069f",
        'warden receivers status set f67e39a0a4d34d56b3aa1bc4cff0069f paused --reason "IdP maintenance"',
      ),
    );
  status
    .command("get <stream-id>")
    .description("a stream's status and the reason for it")
    .option("--json", "the status as JSON", false)
    .addHelpText(
      "after",
      example("warden receivers status get f67e39a0a4d34d56b3aa1bc4cff0069f"),
    )
    .action(async (streamId: string, options: { json: boolean }) => {
      const answer = await (await connect()).status(checkStreamId(streamId));
      print(options.json, answer, formatStatus(answer));
    });
  status
    .command("set <stream-id> <status>")
    .description(
      "enabled delivers; paused holds events in the queue; disabled drops them (queued ones too)",
    )
    .option(
      "--reason <text>",
      "why, sent to the receiver in a stream-updated event",
    )
    .option("--json", "the new status as JSON", false)
    .addHelpText(
      "after",
      example(
        'warden receivers status set f67e39a0a4d34d56b3aa1bc4cff0069f paused --reason "IdP maintenance"',
        "warden receivers status set f67e39a0a4d34d56b3aa1bc4cff0069f enabled",
      ),
    )
    .action(
      async (
        streamId: string,
        value: string,
        options: { reason?: string; json: boolean },
      ) => {
        const wanted = parseStatus(value);
        const answer = await (
          await connect()
        ).setStatus(checkStreamId(streamId), wanted, options.reason);
        print(options.json, answer, formatStatus(answer));
      },
    );
}

/** `subjects add|remove` (SSF 1.0 §8.1.3). */
function registerStreamSubjects(receivers: Command): void {
  const subjects = receivers
    .command("subjects")
    .description(
      "add or remove a subject: which agents or tenants the stream hears about (SSF 1.0 §8.1.3)",
    )
    .addHelpText(
      "after",
      example(
        "warden receivers subjects remove f67e39a0a4d34d56b3aa1bc4cff0069f --agent agent:ci/3",
        "warden receivers subjects add f67e39a0a4d34d56b3aa1bc4cff0069f --tenant acme",
      ),
    );
  for (const change of ["add", "remove"] as const) {
    subjects
      .command(`${change} <stream-id>`)
      .description(
        change === "add"
          ? "send events about this subject (needed when the revoker's default_subjects is NONE; undoes a removal)"
          : "stop sending events about this subject (a removal wins over everything else)",
      )
      .option("--agent <id>", "an agent (opaque subject identifier)")
      .option(
        "--tenant <tenant>",
        "a whole tenant, or with --agent that agent within it (complex subject)",
      )
      .option("--subject <json>", "any RFC 9493 subject identifier as JSON")
      .addHelpText(
        "after",
        example(
          `warden receivers subjects ${change} f67e39a0a4d34d56b3aa1bc4cff0069f --agent agent:ci/3 --tenant acme`,
        ),
      )
      .action(async (streamId: string, options: SubjectOptions) => {
        const subject = subjectFromOptions(options);
        await (
          await connect()
        ).subject(change, checkStreamId(streamId), subject);
        process.stdout.write(
          `${change === "add" ? "added" : "removed"} subject ${JSON.stringify(subject)} ${change === "add" ? "to" : "from"} stream ${streamId}\n`,
        );
      });
  }
}

/** `verify`: a verification event on the stream (SSF 1.0 §8.1.4). */
function registerStreamVerify(receivers: Command): void {
  receivers
    .command("verify <stream-id>")
    .description(
      "ask the revoker to send a verification event on the stream (SSF 1.0 §8.1.4)",
    )
    .option("--state <text>", "an opaque value the verification event echoes")
    .addHelpText(
      "after",
      example(
        "warden receivers verify f67e39a0a4d34d56b3aa1bc4cff0069f --state check-42",
      ),
    )
    .action(async (streamId: string, options: { state?: string }) => {
      await (await connect()).verify(checkStreamId(streamId), options.state);
      process.stdout.write(`verification requested for stream ${streamId}\n`);
    });
}

/** `warden receivers …`: SSF 1.0 stream management (§8.1) against the revoker. */
export function registerReceivers(program: Command): void {
  const receivers = program
    .command("receivers")
    .description(
      "manage SSF event streams at the revoker: list, show, add, update, remove, status, subjects, verify",
    )
    .addHelpText(
      "after",
      example(
        "warden receivers list",
        "warden receivers add --push https://idp.example/ssf/events --authorization-env IDP_PUSH_AUTH --events session-revoked,account-disabled",
      ),
    );
  registerStreamReads(receivers);
  registerStreamChanges(receivers);
  registerStreamStatus(receivers);
  registerStreamSubjects(receivers);
  registerStreamVerify(receivers);
}
