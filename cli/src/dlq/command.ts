import { Option, type Command } from "commander";
import {
  connectAdmin,
  createKafka,
  createLogger,
  createNames,
  readCommonConfig,
  readKafkaConfig,
} from "@warden/shared";
import {
  countByReason,
  deadLetterJson,
  readDeadLetters,
  resubmitDeadLetters,
  selectDeadLetters,
  type DeadLetter,
} from "@warden/ingest";
import { formatDeadLetter } from "./dead-letters.js";
import {
  readAllInOneDeadLetters,
  readAllInOneDlq,
  resubmitToAllInOne,
} from "./all-in-one-dlq.js";

interface DlqOptions {
  readonly reason?: string;
  readonly offset?: string[];
  readonly json: boolean;
}

/** Runs `work` with the dead letters of the configured cluster (KAFKA_*, WARDEN_NAMESPACE). */
async function withKafkaDeadLetters(
  work: (context: {
    kafka: ReturnType<typeof createKafka>;
    names: ReturnType<typeof createNames>;
    letters: DeadLetter[];
  }) => Promise<void> | void,
): Promise<void> {
  const common = readCommonConfig(process.env, 0);
  const config = readKafkaConfig(process.env);
  const logger = createLogger({ level: "warn", service: "warden-dlq" });
  const kafka = createKafka({ config, logger });
  const names = createNames(common.namespace);
  const admin = await connectAdmin(kafka, config);
  try {
    await work({
      kafka,
      names,
      letters: await readDeadLetters(kafka, admin, names),
    });
  } finally {
    await admin.disconnect();
  }
}

interface DeadLetterSource {
  readonly letters: DeadLetter[];
  /** Where re-submitted bytes go, for the message. */
  readonly target: string;
  readonly resubmit: (letters: readonly DeadLetter[]) => Promise<void>;
}

/** The all-in-one's dead letters when WARDEN_DLQ_URL is set, else the cluster's. */
async function withDeadLetters(
  work: (source: DeadLetterSource) => Promise<void> | void,
): Promise<void> {
  const allInOne = readAllInOneDlq(process.env);
  if (allInOne) {
    await work({
      letters: await readAllInOneDeadLetters(allInOne),
      target: `${allInOne.url}/v1/events`,
      resubmit: (letters) => resubmitToAllInOne(allInOne, letters),
    });
    return;
  }
  await withKafkaDeadLetters(({ kafka, names, letters }) =>
    work({
      letters,
      target: names.topics.audit,
      resubmit: (chosen) => resubmitDeadLetters(kafka, names, chosen),
    }),
  );
}

const reasonOption = new Option(
  "--reason <code>",
  "only dead letters with this reason code",
);
const offsetOption = new Option(
  "--offset <offsets...>",
  "only these DLQ offsets",
);

export function registerDlq(program: Command): void {
  const dlq = program
    .command("dlq")
    .description(
      "inspect and re-submit rejected audit events (agent.audit.dlq, or an all-in-one's with WARDEN_DLQ_URL)",
    );

  dlq
    .command("list")
    .description(
      "count dead letters by reason and list them (offset, time, reason, source, detail, bytes)",
    )
    .addOption(reasonOption)
    .addOption(offsetOption)
    .option("--json", "one JSON object per line, bytes as base64", false)
    .addHelpText(
      "after",
      "\nExample:\n  warden dlq list --reason schema_violation",
    )
    .action(async (options: DlqOptions) => {
      await withDeadLetters(({ letters }) => {
        const chosen = selectDeadLetters(letters, {
          reason: options.reason,
          offsets: options.offset,
        });
        if (options.json) {
          for (const letter of chosen)
            process.stdout.write(`${JSON.stringify(deadLetterJson(letter))}\n`);
          return;
        }
        const counts = Object.entries(countByReason(chosen)).sort(
          (a, b) => b[1] - a[1],
        );
        process.stdout.write(`${chosen.length} dead letters\n`);
        for (const [reason, count] of counts)
          process.stdout.write(`  ${reason}\t${count}\n`);
        for (const letter of chosen)
          process.stdout.write(`${formatDeadLetter(letter)}\n`);
      });
    });

  dlq
    .command("resubmit")
    .description(
      "send the original bytes of dead letters back to agent.audit.v1, after fixing what rejected them",
    )
    .addOption(reasonOption)
    .addOption(offsetOption)
    .option(
      "--all",
      "every dead letter (required when neither --reason nor --offset is given)",
      false,
    )
    .option("--dry-run", "say what would be re-submitted, send nothing", false)
    .addHelpText(
      "after",
      "\nExample:\n  warden dlq resubmit --reason too_large   # after raising INGEST_MAX_EVENT_BYTES",
    )
    .action(async (options: DlqOptions & { all: boolean; dryRun: boolean }) => {
      if (
        !options.all &&
        options.reason === undefined &&
        options.offset === undefined
      )
        throw new Error(
          "choose what to re-submit: --reason, --offset or --all",
        );
      await withDeadLetters(async ({ letters, target, resubmit }) => {
        const chosen = selectDeadLetters(letters, {
          reason: options.reason,
          offsets: options.offset,
        });
        if (!options.dryRun) await resubmit(chosen);
        const verb = options.dryRun ? "would re-submit" : "re-submitted";
        process.stdout.write(
          `${verb} ${chosen.length} dead letters to ${target}\n`,
        );
      });
    });
}
