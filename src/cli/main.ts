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

export function buildProgram(): Command {
  const program = new Command('spamzk')
    .description('Classify an inbox as spam or ham on a fleet of processors coordinated by ZooKeeper')
    .version(PACKAGE_VERSION)
    .exitOverride()
    .showHelpAfterError();
  registerReplay(program);
  registerStatus(program);
  registerReport(program);
  registerProcessor(program);
  registerTrain(program);
  registerEval(program);
  registerClassify(program);
  // Commander's own usage errors (unknown option, missing argument) must reach
  // main() as exceptions in every command, so that each exits 2; a command
  // added with addCommand() does not inherit this from the program.
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError(`(spamzk ${cmd.name()} --help lists its options)`);
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
