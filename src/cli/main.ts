/**
 * The `spamzk` command line. Each command lives in its own module under
 * ./commands and registers itself on the program; this file only wires them.
 */
import { Command, CommanderError } from 'commander';
import { PACKAGE_VERSION } from '../shared/index.js';
import { EXIT } from './exit-codes.js';
import { registerClassify } from './commands/classify.js';
import { registerEval } from './commands/eval.js';
import { registerTrain } from './commands/train.js';
import { registerProcessor } from './commands/processor.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerStatus } from './commands/status.js';
import { registerJobs } from './commands/jobs.js';

export function buildProgram(): Command {
  const program = new Command('spamzk')
    .description('Classify an inbox as spam or ham on a fleet of processors coordinated by ZooKeeper')
    .version(PACKAGE_VERSION)
    .exitOverride()
    .showHelpAfterError();
  registerReplay(program);
  registerStatus(program);
  registerReport(program);
  registerJobs(program);
  registerProcessor(program);
  registerTrain(program);
  registerEval(program);
  registerClassify(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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
