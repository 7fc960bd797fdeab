/**
 * The `spamzk` command line. Each command lives in its own module under
 * ./commands and registers itself on the program; this file only wires them.
 * Command modules are imported lazily: `spamzk classify FILE` loads the
 * classifier and nothing of ZooKeeper or IMAP, and `spamzk --help` loads no
 * command module at all (it lists the one-line summaries below).
 */
import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../shared/index.js';
import { EXIT } from './exit-codes.js';

type Register = (program: Command) => void;

/** A module's commands with their one-line summaries for `--help`, and its register function, loaded on demand. */
const COMMANDS: ReadonlyArray<{ names: Record<string, string>; load: () => Promise<Register> }> = [
  { names: { replay: 'classify a fixture mailbox (mbox file, Maildir, folder of .eml) on a fleet of processors', run: 'classify an IMAP mailbox on a fleet of processors' }, load: async () => (await import('./commands/replay.js')).registerReplay },
  { names: { status: 'show a job: backlog and ETA, batches, live claims with age and last heartbeat; without --job, the list of jobs' }, load: async () => (await import('./commands/status.js')).registerStatus },
  {
    names: {
      pause: 'stop new claims of a job fleet-wide (batches in hand finish); members stay up',
      resume: 'let a paused or drained job claim again',
      drain: 'members finish the batch in hand, then exit 0; the job stays resumable',
      config: 'live settings of a job (imapRate, imapConnections), applied by every member without a restart',
    },
    load: async () => (await import('./commands/control.js')).registerControl,
  },
  { names: { report: 'write report.json, report.md and report.html of a job (from any machine)' }, load: async () => (await import('./commands/report.js')).registerReport },
  { names: { jobs: 'list jobs with their size in ZooKeeper; delete one (jobs delete JOB) or prune old ones (jobs prune --older-than 30d), archiving reports' }, load: async () => (await import('./commands/jobs.js')).registerJobs },
  { names: { processor: 'run one processor of the fleet in this process until the job is complete (needs --zk)' }, load: async () => (await import('./commands/processor.js')).registerProcessor },
  { names: { train: 'train a model from the TRAIN split of the SpamAssassin corpus (default) or from --ham/--spam' }, load: async () => (await import('./commands/train.js')).registerTrain },
  { names: { eval: 'evaluate a model (TEST split) or run the TREC online protocol (--online)' }, load: async () => (await import('./commands/eval.js')).registerEval },
  { names: { learn: 'learn messages as spam or ham into a model file (like bogofilter -s/-n)' }, load: async () => (await import('./commands/learn.js')).registerLearn },
  { names: { classify: 'classify message files (raw RFC 5322; "-" for stdin)' }, load: async () => (await import('./commands/classify.js')).registerClassify },
];

/**
 * The program with the command that argv names registered for real, or, when
 * argv names none (help, a typo), every command as a summary-only stub.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('spamzk')
    .description('Classify an inbox as spam or ham on a fleet of processors coordinated by ZooKeeper')
    .version(PACKAGE_VERSION)
    .exitOverride()
    .showHelpAfterError();
  const words = argv.slice(2).filter((a) => !a.startsWith('-'));
  const named = words[0] === 'help' ? words[1] : words[0];
  const chosen = COMMANDS.filter((c) => named !== undefined && Object.hasOwn(c.names, named));
  if (chosen.length > 0) {
    for (const c of chosen) (await c.load())(program);
  } else {
    for (const c of COMMANDS) for (const [name, summary] of Object.entries(c.names)) program.command(name).description(summary);
  }
  // Commander's own usage errors (unknown option, missing argument) must reach
  // main() as exceptions in every command, so that each exits 2; a command
  // added with addCommand() does not inherit this from the program.
  exitOnUsageErrors(program.commands, 'spamzk');
  return program;
}

function exitOnUsageErrors(commands: readonly Command[], parent: string): void {
  for (const cmd of commands) {
    const name = `${parent} ${cmd.name()}`;
    cmd.exitOverride().showHelpAfterError(`(${name} --help lists its options)`);
    exitOnUsageErrors(cmd.commands, name);
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw err;
  }
}
