/**
 * The `spamzk` command line. Each command lives in its own module under
 * ./commands and registers itself on the program; this file only wires them.
 */
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { EXIT } from './exit-codes.js';
import { registerClassify } from './commands/classify.js';
import { registerEval } from './commands/eval.js';
import { registerTrain } from './commands/train.js';
import { registerProcessor } from './commands/processor.js';
import { registerReplay } from './commands/replay.js';
import { registerReport } from './commands/report.js';
import { registerStatus } from './commands/status.js';

/** The version in package.json, found by walking up: works from src/ (tests) and dist/src/ alike. */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return (JSON.parse(readFileSync(candidate, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

export function buildProgram(): Command {
  const program = new Command('spamzk')
    .description('Classify an inbox as spam or ham on a fleet of processors coordinated by ZooKeeper')
    .version(packageVersion())
    .exitOverride()
    .showHelpAfterError();
  registerReplay(program);
  registerStatus(program);
  registerReport(program);
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
