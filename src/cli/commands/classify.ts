/**
 * `spamzk classify FILE...`: the verdict and score of each message file
 * ("-" reads one message from stdin); --explain lists the tokens that weighed most.
 *
 * command-errors.js is imported only when something fails: it imports the
 * pipeline (ZooKeeper and IMAP clients), which a one-file classify must not
 * pay for at start-up.
 */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { DEFAULT_MODEL_PATH, SpamModel } from '../../classifier/index.js';
import { ConfigError } from '../config.js';

interface ClassifyFlags {
  model: string;
  explain?: boolean;
  top: string;
  maxBytes?: string;
  json?: boolean;
}

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify message files (raw RFC 5322; "-" for stdin)')
    .argument('<files...>', 'message files')
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL_PATH)
    .option('--explain', 'show the tokens that weighed most')
    .option('--top <n>', 'how many tokens --explain shows', '15')
    .option('--max-bytes <n>', 'bytes of each message read (default: the model\'s, 1 MiB)')
    .option('--json', 'print one JSON object per line')
    .action(async (files: string[], opts: ClassifyFlags) => {
      try {
        const model = SpamModel.load(opts.model);
        const top = positiveInt(opts.top, '--top');
        const maxBytes = opts.maxBytes === undefined ? undefined : positiveInt(opts.maxBytes, '--max-bytes');
        for (const file of files) {
          const raw = await readMessage(file);
          const callOpts = maxBytes === undefined ? {} : { maxBytes };
          if (opts.explain) {
            const e = model.explain(raw, top, callOpts);
            if (opts.json) process.stdout.write(JSON.stringify({ file, ...e.verdict, tokenCount: e.tokenCount, clues: e.clues }) + '\n');
            else {
              process.stdout.write(`${file}\t${e.verdict.label}\t${e.verdict.score.toFixed(6)}${notesOf(e.verdict.notes)}\n`);
              for (const c of e.clues) {
                process.stdout.write(`  ${c.probability.toFixed(4)}  spam ${c.spamCount}  ham ${c.hamCount}  ${JSON.stringify(c.token)}\n`);
              }
            }
          } else {
            const v = model.classify(raw, callOpts);
            process.stdout.write(opts.json ? JSON.stringify({ file, ...v }) + '\n' : `${file}\t${v.label}\t${v.score.toFixed(6)}${notesOf(v.notes)}\n`);
          }
        }
      } catch (err) {
        process.exitCode = (await import('../command-errors.js')).reportError(err);
      }
    });
}

function notesOf(notes: readonly string[] | undefined): string {
  return notes === undefined ? '' : `\t(${notes.join('; ')})`;
}

async function readMessage(file: string): Promise<Buffer> {
  try {
    return readFileSync(file === '-' ? 0 : file);
  } catch (err) {
    const { InputError } = await import('../command-errors.js');
    throw new InputError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${flag} needs a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}
