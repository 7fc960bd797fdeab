/**
 * `spamzk eval`: scores a labelled set with a model and prints its figures.
 * - Batch (default): the TEST split (or --ham/--spam), scored by a trained
 *   model; msgs/s times classify() alone, MIME decoding included, files read
 *   beforehand.
 * - `--online`: the TREC immediate-feedback protocol over a stream in arrival
 *   order (default: the whole SpamAssassin corpus by Date, ties by name;
 *   --ham/--spam in the same order; or --index, a TREC index, in its order).
 *   Each message is classified by the model as it stands, then learned.
 *   msgs/s covers classify + learn (+ file reads for --index).
 */
import type { Command } from 'commander';
import { DEFAULT_MODEL_PATH, evaluate, runOnline, SpamModel, type EvalFigures, type Scored, type StreamMessage, type TrainOn, type TrecFigures } from '../../classifier/index.js';
import { CorpusError, readIndexedMessage, readTrecIndex } from '../../corpus/index.js';
import { InputError, reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { collect, readLabelledInput } from './train.js';

export interface EvalReport extends EvalFigures {
  readonly model: string;
  readonly modelId: string;
  readonly msgsPerSec: number;
  readonly threshold: number;
}

export interface OnlineReport extends TrecFigures {
  readonly stream: string;
  readonly from: string;
  readonly trainOn: TrainOn;
  readonly learned: number;
  readonly threshold: number;
  readonly msgsPerSec: number;
  /** The model id after the whole stream: the same stream twice gives the same id. */
  readonly modelId: string;
}

interface EvalFlags {
  model: string;
  ham: string[];
  spam: string[];
  json?: boolean;
  online?: boolean;
  index?: string;
  from?: string;
  trainOn?: string;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a model on the TEST split (default) or --ham/--spam; --online runs the TREC immediate-feedback protocol')
    .option('-m, --model <file>', 'model file (batch)', DEFAULT_MODEL_PATH)
    .option('--ham <path>', 'folder of .eml files or mbox file of ham (repeatable)', collect, [])
    .option('--spam <path>', 'folder of .eml files or mbox file of spam (repeatable)', collect, [])
    .option('--online', 'TREC immediate feedback: classify each message in arrival order, then learn its label')
    .option('--index <file>', 'with --online: a TREC index ("spam ../data/inmail.1" lines, paths relative to it)')
    .option('--from <empty|model>', 'with --online: the starting model, "empty" or a model file (default: empty)')
    .option('--train-on <all|error>', 'with --online: learn every message, or only misclassified ones (default: all)')
    .option('--json', 'print one JSON object')
    .action(async (opts: EvalFlags) => {
      try {
        if (opts.online) await evalOnline(opts);
        else await evalBatch(opts);
      } catch (err) {
        // A bad index or message file is unreadable input (exit 3), like a missing folder.
        process.exitCode = reportError(err instanceof CorpusError ? new InputError(err.message) : err);
      }
    });
}

async function evalBatch(opts: EvalFlags): Promise<void> {
  for (const flag of ['index', 'from', 'trainOn'] as const) {
    if (opts[flag] !== undefined) throw new ConfigError(`--${flag === 'trainOn' ? 'train-on' : flag} needs --online`);
  }
  const model = SpamModel.load(opts.model);
  const input = await readLabelledInput('test', opts.ham, opts.spam);
  const scored: Scored[] = [];
  const started = performance.now();
  for (const msg of input.messages) {
    const v = model.classify(msg.raw);
    scored.push({ truth: msg.label, label: v.label, score: v.logOdds ?? v.score });
  }
  const seconds = (performance.now() - started) / 1000;
  const report: EvalReport = {
    model: opts.model,
    modelId: model.id,
    threshold: model.options.scoring.spamCutoff,
    ...evaluate(scored),
    msgsPerSec: Math.round(scored.length / seconds),
  };
  process.stdout.write(opts.json ? JSON.stringify(report) + '\n' : formatBatch(report, input.from.split ?? input.from.source));
}

/** Flags are checked before any message is read: a bad one exits 2 at once. */
function onlineFlags(opts: EvalFlags): { trainOn: TrainOn; from: string } {
  const trainOn = opts.trainOn ?? 'all';
  if (trainOn !== 'all' && trainOn !== 'error') throw new ConfigError(`--train-on must be "all" or "error", got ${JSON.stringify(trainOn)}`);
  if (opts.index !== undefined && (opts.ham.length > 0 || opts.spam.length > 0)) throw new ConfigError('give --index or --ham/--spam, not both');
  return { trainOn, from: opts.from ?? 'empty' };
}

async function evalOnline(opts: EvalFlags): Promise<void> {
  const { trainOn, from } = onlineFlags(opts);
  const model = from === 'empty'
    ? SpamModel.empty({ source: 'empty', trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } })
    : SpamModel.load(from);
  let stream: Iterable<StreamMessage>;
  let what: string;
  if (opts.index !== undefined) {
    const indexPath = opts.index;
    const entries = readTrecIndex(indexPath);
    stream = (function* () {
      for (const e of entries) yield { raw: readIndexedMessage(indexPath, e), label: e.label };
    })();
    what = `TREC index ${indexPath}, in its order`;
  } else {
    const input = await readLabelledInput(undefined, opts.ham, opts.spam);
    stream = input.messages;
    what = `${input.from.source} (${input.from.split ?? ''})`;
  }
  const run = runOnline(model, stream, trainOn);
  const report: OnlineReport = {
    stream: what,
    from,
    trainOn,
    learned: run.learned,
    threshold: model.options.scoring.spamCutoff,
    ...run.figures,
    msgsPerSec: Math.round(run.msgsPerSec),
    modelId: model.id,
  };
  process.stdout.write(opts.json ? JSON.stringify(report) + '\n' : formatOnline(report));
}

function formatOnline(r: OnlineReport): string {
  return [
    `protocol   TREC immediate feedback, from ${r.from}, train on ${r.trainOn} (${r.learned} learned)`,
    `stream     ${r.stream}: ${r.messages} messages (${r.ham} ham, ${r.spam} spam)`,
    `1-ROCA%    ${r.oneMinusRocaPct.toFixed(4)}`,
    `lam%       ${r.lamPct.toFixed(3)}`,
    `h=.1%      ${r.h01Pct.toFixed(2)} (spam missed where 0.1% of ham is called spam)`,
    `ham miscl. ${r.hamMisclassPct.toFixed(3)}% at spam >= ${r.threshold} (unsure counts as ham)`,
    `spam miscl.${' '}${r.spamMisclassPct.toFixed(3)}%`,
    `speed      ${r.msgsPerSec} msgs/s (classify + learn, MIME decoding included, one core)`,
    `model id   ${r.modelId} after the stream`,
    '',
  ].join('\n');
}

function formatBatch(r: EvalReport, what: string): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  return [
    `model      ${r.model} (id ${r.modelId.slice(0, 16)}…, spam at score >= ${r.threshold})`,
    `data       ${what}: ${r.messages} messages (${r.ham} ham, ${r.spam} spam)`,
    `accuracy   ${pct(r.accuracy)}`,
    `FPR        ${pct(r.fpr)} (${r.falsePositives} ham called spam)`,
    `recall     ${pct(r.recall)} (${r.falseNegatives} spam missed)`,
    `precision  ${pct(r.precision)}`,
    `F1         ${r.f1.toFixed(4)}`,
    `ROC AUC    ${r.auc.toFixed(5)}`,
    `unsure     ${r.unsure.ham} ham, ${r.unsure.spam} spam`,
    `speed      ${r.msgsPerSec} msgs/s (classify incl. MIME decoding, one core)`,
    '',
  ].join('\n');
}
