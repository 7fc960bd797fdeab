/**
 * buildReport: one walk over the job's outcomes, group by group, feeds every
 * tally (totals, confusion matrix, histogram, integrity, the flagged rows);
 * the verdict list is not copied: report.json walks the groups again
 * (ReportVerdicts). So the report holds per batch, not per message, beyond
 * what its input holds (docs/design.md, "Memory").
 */
import { ConfusionTally } from './accuracy.js';
import { FlaggedTally } from './flagged.js';
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
import { outcomeGroups } from './outcome-walk.js';
import { summarizeProcessors, throughputTimeline } from './throughput.js';
import type { ReportInput } from './types.js';
import { assertValidCommit, assertValidOutcome } from './validate.js';
import { listedOutcome, ReportVerdicts } from './verdict-list.js';

export { listedOutcome };

/** Pure: the same input gives the same report, byte for byte once serialized. */
export function buildReport(input: ReportInput): JobReport {
  input.commits.forEach(assertValidCommit);
  const totals = { messages: 0, spam: 0, ham: 0, unsure: 0, failed: 0 };
  const confusion = new ConfusionTally();
  const histogram = new ScoreHistogram();
  const integrity = new IntegrityTally(input.commits);
  const flagged = new FlaggedTally(listedOutcome);
  const messagesByProcessor = new Map<string, number>();
  const failed: FailedMessage[] = [];
  const partial: { key: number; note: string }[] = [];

  const groups = outcomeGroups(input.outcomes);
  for (let g = 0; g < groups.groupCount; g++) {
    const outcomes = groups.group(g);
    for (const o of outcomes) {
      assertValidOutcome(o, totals.messages);
      totals.messages++;
      totals[o.verdict]++;
      confusion.add(o);
      histogram.add(o);
      integrity.add(o);
      flagged.add(o);
      messagesByProcessor.set(o.processor, (messagesByProcessor.get(o.processor) ?? 0) + 1);
      if (o.verdict === 'failed') failed.push({ key: o.key, batch: o.batch, processor: o.processor, reason: o.reason });
      else if (o.note !== undefined) partial.push({ key: o.key, note: o.note });
    }
    integrity.addGroup(g, outcomes);
  }

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
    integrity: integrity.finish(input, totals.messages, groups),
    // A loop, not Math.max(...stalls): a spread of a big array overflows the call stack (RangeError).
    maxEventLoopStallMs: stalls.length > 0 ? stalls.reduce((max, ms) => (ms > max ? ms : max), stalls[0]!) : null,
    commits: [...input.commits].sort(byBatchThenClaim).map((c) => ({ ...c })),
    reclaims: [...input.reclaims].sort(reclaimOrder).map((r) => ({ ...r })),
    fencedCommits: [...input.fencedCommits].sort(fencedOrder).map((f) => ({ ...f })),
    unknownCommits: [...(input.unknownCommits ?? [])].sort(fencedOrder).map((u) => ({ ...u })),
    quarantined: [...input.quarantined].sort(quarantineOrder).map((q) => ({ ...q })),
    failed: failed.sort(byKey),
    partial: partial.sort((a, b) => a.key - b.key),
    verdicts: new ReportVerdicts(groups, integrity.spans.lowestKeys, totals.messages, flagged.finish()),
    ...(input.learning ? { learning: copyLearning(input.learning) } : {}),
  };
}

/**
 * Passwords never come from URLs in spamzk (they come from the environment or
 * a file), but a report is mailed around: if a caller passed a source URL with
 * one anyway, it stops here.
 */
function withoutPassword(source: string): string {
  return source.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^@/\s]*@/i, '$1:***@');
}
