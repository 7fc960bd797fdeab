/**
 * `spamzk eval`: scores a labelled set (default: the TEST split) with a model
 * and prints the figures docs/findings.md compares the reference tools by. Messages per second time classify()
 * alone, MIME decoding included, on one core; the files are read beforehand.
 */
import type { Command } from 'commander';
import { DEFAULT_MODEL_PATH, evaluate, SpamModel, type EvalFigures, type Scored } from '../../classifier/index.js';
import { reportError } from '../command-errors.js';
import { collect, readLabelledInput } from './train.js';

export interface EvalReport extends EvalFigures {
  readonly model: string;
  readonly modelId: string;
  readonly msgsPerSec: number;
  readonly threshold: number;
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a model on the TEST split of the SpamAssassin corpus (default) or on --ham/--spam')
    .option('-m, --model <file>', 'model file', DEFAULT_MODEL_PATH)
    .option('--ham <path>', 'folder of .eml files or mbox file of ham (repeatable)', collect, [])
    .option('--spam <path>', 'folder of .eml files or mbox file of spam (repeatable)', collect, [])
    .option('--json', 'print one JSON object')
    .action(async (opts: { model: string; ham: string[]; spam: string[]; json?: boolean }) => {
      try {
        const model = SpamModel.load(opts.model);
        const input = await readLabelledInput('test', opts.ham, opts.spam);
        const scored: Scored[] = [];
        const started = performance.now();
        for (const msg of input.messages) {
          const v = model.classify(msg.raw);
          scored.push({ truth: msg.label, label: v.label, score: v.score });
        }
        const seconds = (performance.now() - started) / 1000;
        const report: EvalReport = {
          model: opts.model,
          modelId: model.id,
          threshold: model.options.scoring.spamCutoff,
          ...evaluate(scored),
          msgsPerSec: Math.round(scored.length / seconds),
        };
        process.stdout.write(opts.json ? JSON.stringify(report) + '\n' : formatReport(report, input.from.split ?? input.from.source));
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
}

function formatReport(r: EvalReport, what: string): string {
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
