/**
 * report.md: the summary a person reads first. Compact: totals, accuracy,
 * processors, the exceptional events, and the integrity verdict. Per-message
 * verdicts stay in report.json.
 */
import { count, decimal, duration, oneLine, percent, rate, timestamp } from './figures.js';
import type { AccuracyReport, IntegrityCheck, JobReport } from './job-report.js';
import { cutoffWords, flaggedMessages, MAX_FLAGGED_ROWS } from './flagged.js';
import { inProgressNotice } from './progress-notice.js';
import { learningMarkdown } from './learning.js';
import type { QuarantinedBatch } from './types.js';

export interface MarkdownOptions {
  /** Rows of the spam/unsure table (default MAX_FLAGGED_ROWS; a terminal wants fewer). */
  readonly maxMessageRows?: number;
}

/** Long lists (reclaims, fenced commits, failed messages) show this many lines, then a count. */
const MAX_LINES = 20;

export function renderMarkdown(report: JobReport, opts: MarkdownOptions = {}): string {
  return [
    header(report),
    totals(report),
    flaggedTable(report, opts.maxMessageRows ?? MAX_FLAGGED_ROWS),
    report.accuracy ? accuracy(report.accuracy) : '## Accuracy\n\nNo message has a known label.',
    processors(report),
    ...(report.learning ? [learningMarkdown(report.learning)] : []),
    eventList(`Reclaims`, report.reclaims.map((r) =>
      `${timestamp(r.at)} batch ${r.batch}: taken from ${md(r.fromProcessor || 'an unknown processor')} by ${md(r.byProcessor)} (${md(r.reason)})`)),
    eventList(`Fenced commits`, report.fencedCommits.map((f) =>
      `${timestamp(f.at)} batch ${f.batch}: commit by ${md(f.processor)} with claim ${f.claimSeq} rejected`)),
    eventList(`Commits of unknown outcome`, report.unknownCommits.map((u) =>
      `${timestamp(u.at)} batch ${u.batch}: commit by ${md(u.processor)} with claim ${u.claimSeq}: outcome unknown (${md(u.detail)})`)),
    eventList(`Quarantined batches`, report.quarantined.map(quarantineLine), Infinity),
    eventList(`Failed messages`, report.failed.map((f) =>
      `key ${f.key} (batch ${f.batch}, ${md(f.processor)}): ${md(f.reason)}`)),
    integrity(report.integrity.checks),
  ].join('\n\n') + '\n';
}

function inProgress(r: JobReport): string {
  const notice = inProgressNotice(r);
  // A command must survive copy and paste: in a code block, whole and unescaped.
  return notice.command === undefined ? `**${md(notice.text)}**` : `**${md(notice.text)}**\n\n    ${notice.command.replace(/\s+/g, ' ')}`;
}

function header(r: JobReport): string {
  const j = r.job;
  const state = j.complete ? 'complete' : 'in progress';
  const verdict = !r.integrity.ok
    ? `**Integrity: FAILED (${r.integrity.checks.filter((c) => c.status === 'fail').map((c) => c.name).join(', ')}).**`
    : j.complete
      ? '**Integrity: all checks pass.**'
      : inProgress(r);
  const batches = `${count(j.batches)} ${j.batches === 1 ? 'batch' : 'batches'} of up to ${count(j.batchSize)} messages`;
  return [
    `# spamzk report: job ${md(j.jobId)}`,
    '',
    `- Source: ${md(j.sourceName ?? j.source)}${j.sourceName ? ` (identity ${md(j.source)})` : ''}`,
    `- Model: ${md(j.modelName ?? j.modelId)}${j.modelName ? '' : ' (its content hash)'}`,
    `- ${batches}, created ${timestamp(j.createdAt)}, ${state}`,
    '',
    verdict,
  ].join('\n');
}

function flaggedTable(r: JobReport, max: number): string {
  const { rows, total } = flaggedMessages(r, max);
  const title = `## Spam and unsure messages (${count(total)})`;
  const cutoffs = cutoffWords(r);
  if (total === 0) return [`${title}`, '', 'None.', ...(cutoffs ? ['', cutoffs] : [])].join('\n');
  const shown = rows.length < total ? `The ${count(rows.length)} with the highest scores are shown; report.json lists every verdict.` : '';
  return [
    title,
    '',
    'Highest score first. Score: the model\'s spam probability, 0 to 1. Key: the IMAP UID, or the message\'s number in a fixture.',
    ...(cutoffs ? [cutoffs] : []),
    ...(shown ? [shown] : []),
    '',
    table(['score', 'verdict', 'key', 'date', 'from', 'subject'], rows.map((m) => [
      m.score.toFixed(3), m.verdict, String(m.key), md(m.date ?? ''), md(m.from ?? ''), md(m.subject ?? ''),
    ]), 'rrrlll'),
  ].join('\n');
}

function totals(r: JobReport): string {
  const t = r.totals;
  const b = r.batches;
  const stall = r.maxEventLoopStallMs === null ? '' : ` Longest event-loop stall: ${duration(r.maxEventLoopStallMs)}.`;
  const partial = r.partial.length > 0 ? ` Verdicts reached from partial input: ${count(r.partial.length)}.` : '';
  return [
    '## Totals',
    '',
    table(['messages', 'spam', 'ham', 'unsure', 'failed'], [[t.messages, t.spam, t.ham, t.unsure, t.failed].map(count)], 'r'),
    '',
    `Batches: ${count(b.committed)} committed (${count(b.retried)} needed more than one claim), ` +
      `${count(b.quarantined)} quarantined, ${count(b.pending)} pending, of ${count(b.planned)} planned.${stall}${partial}`,
  ].join('\n');
}

function accuracy(a: AccuracyReport): string {
  const m = a.metrics;
  const s = a.metricsUnsureAsSpam;
  const c = a.confusion;
  return [
    `## Accuracy (${count(a.labelled)} labelled messages, ${count(a.evaluated)} with a verdict)`,
    '',
    table(['', 'unsure as ham', 'unsure as spam'], [
      ['accuracy', percent(m.accuracy), percent(s.accuracy)],
      ['false-positive rate (ham called spam)', percent(m.falsePositiveRate), percent(s.falsePositiveRate)],
      ['spam recall', percent(m.spamRecall), percent(s.spamRecall)],
      ['precision', percent(m.precision), percent(s.precision)],
      ['F1', decimal(m.f1), decimal(s.f1)],
    ], 'lr'),
    '',
    table(['true label \\ verdict', 'spam', 'ham', 'unsure', 'failed'], [
      ['spam', ...[c.spam.spam, c.spam.ham, c.spam.unsure, c.spam.failed].map(count)],
      ['ham', ...[c.ham.spam, c.ham.ham, c.ham.unsure, c.ham.failed].map(count)],
    ], 'lr'),
    '',
    a.policy,
  ].join('\n');
}

function processors(r: JobReport): string {
  const rows = r.processors.map((p) => [
    md(p.processor), count(p.batches), count(p.messages), p.batches > 0 ? duration(p.activeMs) : 'n/a', rate(p.messagesPerSecond),
    count(p.lostClaims), count(p.reclaimed), count(p.fencedCommits),
    p.maxEventLoopStallMs === null ? 'n/a' : duration(p.maxEventLoopStallMs),
  ]);
  return [
    '## Processors',
    '',
    table(['processor', 'batches', 'messages', 'active', 'msgs/s', 'claims lost', 'reclaimed', 'fenced', 'max stall'], rows, 'lr'),
    '',
    'Active: from the processor\'s first claim to its last commit; msgs/s: the messages it committed per second of that time. ' +
      'Claims lost: its batches that others took over (it stalled, or its ZooKeeper session expired); reclaimed: batches it took over from others; ' +
      'fenced: commits ZooKeeper refused because its claim had been taken; max stall: its longest pause of the event loop.',
  ].join('\n');
}

function quarantineLine(q: QuarantinedBatch): string {
  const by = q.processor === undefined ? '' : ` by ${md(q.processor)}`;
  const at = q.at === undefined ? '' : ` at ${timestamp(q.at)}`;
  return `batch ${q.batch} (keys ${q.first}–${q.last}), ${q.attempts} attempts, quarantined${by}${at}: ${md(q.lastError)}`;
}

function eventList(title: string, lines: readonly string[], max = MAX_LINES): string {
  if (lines.length === 0) return `## ${title}: none`;
  const shown = lines.slice(0, max).map((l) => `- ${l}`);
  if (lines.length > max) shown.push(`- … and ${count(lines.length - max)} more in report.json`);
  return [`## ${title} (${count(lines.length)})`, '', ...shown].join('\n');
}

function integrity(checks: readonly IntegrityCheck[]): string {
  const mark = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIPPED' } as const;
  return ['## Integrity', '', ...checks.map((c) => `- ${mark[c.status]} ${CHECK_WORDS[c.name] ? `${CHECK_WORDS[c.name]} (${md(c.name)})` : md(c.name)}: ${md(c.detail)}`)].join('\n');
}

/** The integrity checks in words (report.json keeps their names). */
const CHECK_WORDS: Readonly<Record<string, string>> = {
  'unique-keys': 'Every message has one verdict',
  'one-commit-per-batch': 'Every batch was committed once',
  'outcomes-match-commits': 'Every committed batch has all its messages',
  'batches-accounted': 'Every batch is accounted for',
  'matches-source': 'Every message of the source is in the report',
};

/** 'r': every column right-aligned; 'lr': first column left, the rest right; else one l or r per column. */
function table(head: readonly string[], rows: readonly (readonly string[])[], align: string): string {
  const side = (i: number): string => (align === 'r' ? 'r' : align === 'lr' ? (i === 0 ? 'l' : 'r') : (align[i] ?? 'r'));
  const rule = head.map((_, i) => (side(i) === 'l' ? ':---' : '---:'));
  return [head, rule, ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/**
 * Text from messages and processors, made inert: one line, bounded, and every
 * character that Markdown (or the HTML it may contain) would act on escaped.
 */
function md(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>|~&]/g, '\\$&');
}
