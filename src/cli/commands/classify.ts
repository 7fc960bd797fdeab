/**
 * `spamzk classify [FILE...]`: the verdict and score of each message. A FILE
 * may be a message, "-" (stdin, also when no FILE is named), a folder or an
 * mbox file (each message inside; classify-inputs.ts). For mail-delivery
 * pipelines (procmail, maildrop, sieve filters), as bogofilter and spamc are
 * used: --passthrough writes the message back with X-Spam-* fields
 * (spam-headers.ts), --exit-code exits as bogofilter does (spam 0, ham 1,
 * unsure 2, error 3), --spam-cutoff/--ham-cutoff move the cutoffs.
 *
 * command-errors.js is imported only when something fails: it imports the
 * pipeline (ZooKeeper and IMAP clients), which a one-file classify must not
 * pay for at start-up.
 */
import type { Command } from 'commander';
import { isNotMail, SpamModel, type ClassifyOptions, type Verdict } from '../../classifier/index.js';
import { PACKAGE_VERSION } from '../../shared/index.js';
import { classifyInputs } from '../classify-inputs.js';
import { ConfigError } from '../config-error.js';
import { EXIT } from '../exit-codes.js';
import { modelToRead } from '../model-path.js';
import { spamHeaderFields, withSpamHeaders } from '../spam-headers.js';

interface ClassifyFlags {
  model?: string;
  explain?: boolean;
  top: string;
  maxBytes?: string;
  json?: boolean;
  passthrough?: boolean;
  exitCode?: boolean;
  spamCutoff?: string;
  hamCutoff?: string;
  header: boolean;
}

/** bogofilter's documented exit codes, with --exit-code. */
export const VERDICT_EXIT = { spam: 0, ham: 1, unsure: 2, error: 3 } as const;

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify messages: files, folders, mbox files, or stdin ("-" or no FILE)')
    .argument('[files...]', 'message files, folders or mbox files; "-" or none: one message on stdin')
    .option('-m, --model <file>', 'model file [SPAMZK_MODEL] (default: ~/.spamzk/model.json if it exists, else the shipped model)')
    .option('-p, --passthrough', 'write the message to stdout with X-Spam-Status/X-Spam-Score fields prepended (one message)')
    .option('--exit-code', 'exit as bogofilter does: spam 0, ham 1, unsure 2, error 3')
    .option('--spam-cutoff <p>', 'spam at score >= p (0..1; default: the model\'s)')
    .option('--ham-cutoff <p>', 'ham at score < p (0..1, <= the spam cutoff; default: the model\'s)')
    .option('--explain', 'show the tokens that weighed most')
    .option('--top <n>', 'how many tokens --explain shows', '15')
    .option('--max-bytes <n>', 'bytes of each message read (default: the model\'s, 1 MiB)')
    .option('--json', 'print one JSON object per line')
    .option('--no-header', 'no header row (printed with --explain and for more than one message)')
    .action(async (files: string[], opts: ClassifyFlags) => {
      try {
        process.exitCode = await classifyCommand(files, opts);
      } catch (err) {
        const code = (await import('../command-errors.js')).reportError(err);
        // A mail filter reading bogofilter's codes must not take a usage error for "unsure" (2).
        process.exitCode = opts.exitCode ? VERDICT_EXIT.error : code;
      }
    });
}

async function classifyCommand(files: string[], opts: ClassifyFlags): Promise<number> {
  checkFlags(files, opts);
  const top = positiveInt(opts.top, '--top');
  const maxBytes = opts.maxBytes === undefined ? undefined : positiveInt(opts.maxBytes, '--max-bytes');
  const wanted = { spam: cutoff(opts.spamCutoff, '--spam-cutoff'), ham: cutoff(opts.hamCutoff, '--ham-cutoff') };
  if (wanted.spam !== undefined && wanted.ham !== undefined) orderedCutoffs(wanted.spam, wanted.ham, '');
  const model = SpamModel.load(modelToRead(opts.model).path);
  const scoring = model.options.scoring;
  const cutoffs = { spam: wanted.spam ?? scoring.spamCutoff, ham: wanted.ham ?? scoring.hamCutoff };
  orderedCutoffs(cutoffs.spam, cutoffs.ham, ' (with the model\'s default for the other)');
  const callOpts: ClassifyOptions = { cutoffs, ...(maxBytes === undefined ? {} : { maxBytes }) };
  if (opts.passthrough) return await passthrough(files, model, callOpts, opts.exitCode === true);
  const labels: Verdict['label'][] = [];
  let failed = 0;
  let rows = 0;
  const header = opts.header && !opts.json;
  const inputs = classifyInputs(files);
  // One message ahead: the header row goes out before the first verdict once it is known there is more than one.
  let next = await inputs.next();
  while (!next.done) {
    const input = next.value;
    next = await inputs.next();
    if ('error' in input) {
      failed++;
      process.stderr.write(`spamzk: ${input.error}\n`);
      continue;
    }
    if (rows === 0 && header && (opts.explain || !next.done)) process.stdout.write(opts.explain ? EXPLAIN_HEADER : TABLE_HEADER);
    rows++;
    labels.push(writeVerdict(input.name, input.raw, model, callOpts, opts, top));
  }
  return exitCodeOf(labels, failed, opts.exitCode === true);
}

const TABLE_HEADER = 'message\tverdict\tscore\tnotes\n';
const EXPLAIN_HEADER = `${TABLE_HEADER}  p(spam)  in-spam  in-ham  token\n`;

function writeVerdict(name: string, raw: Buffer, model: SpamModel, callOpts: ClassifyOptions, opts: ClassifyFlags, top: number): Verdict['label'] {
  if (opts.explain) {
    const e = model.explain(raw, top, callOpts);
    if (opts.json) process.stdout.write(JSON.stringify({ file: name, ...e.verdict, tokenCount: e.tokenCount, clues: e.clues }) + '\n');
    else {
      process.stdout.write(`${name}\t${e.verdict.label}\t${e.verdict.score.toFixed(6)}${notesOf(e.verdict.notes)}\n`);
      for (const c of e.clues) process.stdout.write(`  ${c.probability.toFixed(4)}  spam ${c.spamCount}  ham ${c.hamCount}  ${JSON.stringify(c.token)}\n`);
    }
    return e.verdict.label;
  }
  const v = model.classify(raw, callOpts);
  process.stdout.write(opts.json ? JSON.stringify({ file: name, ...v }) + '\n' : `${name}\t${v.label}\t${v.score.toFixed(6)}${notesOf(v.notes)}\n`);
  return v.label;
}

/**
 * Without --exit-code: 0, or 3 when any input could not be read. With it,
 * bogofilter's codes: 3 on any error, else the most spam-like verdict seen
 * (any spam 0, else any unsure 2, else 1).
 */
function exitCodeOf(labels: readonly Verdict['label'][], failed: number, bogofilterCodes: boolean): number {
  if (!bogofilterCodes) return failed > 0 ? EXIT.unavailable : EXIT.ok;
  if (failed > 0 || labels.length === 0) return VERDICT_EXIT.error;
  if (labels.includes('spam')) return VERDICT_EXIT.spam;
  return labels.includes('unsure') ? VERDICT_EXIT.unsure : VERDICT_EXIT.ham;
}

async function passthrough(files: string[], model: SpamModel, callOpts: ClassifyOptions, bogofilterCodes: boolean): Promise<number> {
  const inputs = [];
  for await (const input of classifyInputs(files)) inputs.push(input);
  if (inputs.length !== 1) throw new ConfigError(`--passthrough writes back one message; ${files[0] ?? 'stdin'} holds ${inputs.length}`);
  const input = inputs[0]!;
  if ('error' in input) {
    process.stderr.write(`spamzk: ${input.error}\n`);
    return bogofilterCodes ? VERDICT_EXIT.error : EXIT.unavailable;
  }
  const verdict = model.classify(input.raw, callOpts);
  const fields = spamHeaderFields({ verdict, spamCutoff: callOpts.cutoffs!.spam, hamCutoff: callOpts.cutoffs!.ham, modelId: model.id, version: PACKAGE_VERSION });
  process.stdout.write(withSpamHeaders(input.raw, fields, !isNotMail(verdict)));
  return bogofilterCodes ? VERDICT_EXIT[verdict.label] : EXIT.ok;
}

function checkFlags(files: readonly string[], opts: ClassifyFlags): void {
  if (files.filter((f) => f === '-').length > 1) throw new ConfigError('"-" (stdin) can be given once');
  // Reading a terminal would wait for a message typed by hand: almost always a forgotten FILE.
  if ((files.length === 0 || files.includes('-')) && process.stdin.isTTY) throw new ConfigError('no FILE given and stdin is a terminal: name a FILE, or pipe a message in');
  if (opts.passthrough) {
    if (files.length > 1) throw new ConfigError('--passthrough writes back one message: give one FILE, or none for stdin');
    if (opts.explain || opts.json) throw new ConfigError('--passthrough writes the message itself: it cannot be combined with --explain or --json');
  }
}

function cutoff(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new ConfigError(`${flag} needs a probability from 0 to 1, got ${JSON.stringify(value)}`);
  return n;
}

function orderedCutoffs(spam: number, ham: number, context: string): void {
  if (ham > spam) throw new ConfigError(`--ham-cutoff ${ham} is above --spam-cutoff ${spam}${context}: ham must be <= spam`);
}

function notesOf(notes: readonly string[] | undefined): string {
  return notes === undefined ? '' : `\t(${notes.join('; ')})`;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new ConfigError(`${flag} needs a positive whole number, got ${JSON.stringify(value)}`);
  return n;
}
