/**
 * buildReport: one pass over the message outcomes feeds every tally (totals,
 * confusion matrix, histogram, integrity), then the lists are sorted. Linear
 * apart from the sorts, so 100k messages take well under a second.
 */
import { ConfusionTally } from './accuracy.js';
import { ScoreHistogram } from './histogram.js';
import { IntegrityTally } from './integrity.js';
import { copyLearning } from './learning.js';
import {
  REPORT_SCHEMA_VERSION,
  type FailedMessage,
  type JobReport,
  type ReportTotals,
} from './job-report.js';
import { byBatchThenClaim, byKey, fencedOrder, quarantineOrder, reclaimOrder } from './ordering.js';
import { summarizeProcessors, throughputTimeline } from './throughput.js';
import type { MessageOutcome, ReportInput } from './types.js';
import { assertValidCommit, assertValidOutcome } from './validate.js';

/** Pure: the same input gives the same report, byte for byte once serialized. */
export function buildReport(input: ReportInput): JobReport {
  input.commits.forEach(assertValidCommit);
  const totals = { messages: 0, spam: 0, ham: 0, unsure: 0, failed: 0 };
  const confusion = new ConfusionTally();
  const histogram = new ScoreHistogram();
  const integrity = new IntegrityTally(input.commits);
  const messagesByProcessor = new Map<string, number>();
  const verdicts: MessageOutcome[] = [];
  const failed: FailedMessage[] = [];
  const partial: { key: number; note: string }[] = [];

  input.outcomes.forEach((o, index) => {
    assertValidOutcome(o, index);
    totals.messages++;
    totals[o.verdict]++;
    confusion.add(o);
    histogram.add(o);
    integrity.add(o);
    messagesByProcessor.set(o.processor, (messagesByProcessor.get(o.processor) ?? 0) + 1);
    verdicts.push(LISTED.has(o) ? o : listedOutcome(o)); // shared, not copied: every verdict is held once
    if (o.verdict === 'failed') failed.push({ key: o.key, batch: o.batch, processor: o.processor, reason: o.reason });
    else if (o.note !== undefined) partial.push({ key: o.key, note: o.note });
  });

  const processors = summarizeProcessors(input, messagesByProcessor);
  const stalls = Object.values(input.eventLoopStallMs ?? {});
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    job: { ...input.job, source: withoutPassword(input.job.source), ...(input.job.sourceName === undefined ? {} : { sourceName: withoutPassword(input.job.sourceName) }) },
    totals: totals satisfies ReportTotals,
    batches: integrity.batchSummary(input),
    accuracy: confusion.finish(),
    processors,
    throughput: throughputTimeline(input.commits, processors.map((p) => p.processor), input.job.createdAt),
    scoreHistogram: histogram.finish(),
    integrity: integrity.finish(input, totals.messages),
    // A loop, not Math.max(...stalls): a spread of a big array overflows the call stack (RangeError).
    maxEventLoopStallMs: stalls.length > 0 ? stalls.reduce((max, ms) => (ms > max ? ms : max), stalls[0]!) : null,
    commits: [...input.commits].sort(byBatchThenClaim).map((c) => ({ ...c })),
    reclaims: [...input.reclaims].sort(reclaimOrder).map((r) => ({ ...r })),
    fencedCommits: [...input.fencedCommits].sort(fencedOrder).map((f) => ({ ...f })),
    unknownCommits: [...(input.unknownCommits ?? [])].sort(fencedOrder).map((u) => ({ ...u })),
    quarantined: [...input.quarantined].sort(quarantineOrder).map((q) => ({ ...q })),
    failed: failed.sort(byKey),
    partial: partial.sort((a, b) => a.key - b.key),
    verdicts: verdicts.sort(byKey),
    ...(input.learning ? { learning: copyLearning(input.learning) } : {}),
  };
}

/** Outcomes already in report.json's shape: the report lists these objects themselves. */
const LISTED = new WeakSet<MessageOutcome>();

/**
 * An outcome as report.json lists it: a fresh object with the fields in one
 * order, optional ones left out rather than set to undefined, so that it
 * equals its own JSON round trip. An input built of these (gather.ts builds
 * them) is listed as it is, so a 1M-message report holds each verdict once.
 */
export function listedOutcome(o: MessageOutcome): MessageOutcome {
  const { key, batch, processor } = o;
  const label = o.label === undefined ? {} : { label: o.label };
  const names = {
    ...(o.messageId === undefined ? {} : { messageId: o.messageId }),
    ...(o.from === undefined ? {} : { from: o.from }),
    ...(o.subject === undefined ? {} : { subject: o.subject }),
    ...(o.date === undefined ? {} : { date: o.date }),
  };
  const note = o.verdict !== 'failed' && o.note !== undefined ? { note: o.note } : {};
  const listed: MessageOutcome =
    o.verdict === 'failed'
      ? { key, verdict: 'failed', score: null, batch, processor, ...label, reason: o.reason, ...names }
      : { key, verdict: o.verdict, score: o.score, batch, processor, ...label, ...note, ...names };
  LISTED.add(listed);
  return listed;
}

/**
 * Passwords never come from URLs in spamzk (they come from the environment or
 * a file), but a report is mailed around: if a caller passed a source URL with
 * one anyway, it stops here.
 */
function withoutPassword(source: string): string {
  return source.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/i, '$1:***@');
}
