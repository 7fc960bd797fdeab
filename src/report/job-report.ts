/**
 * The shape of report.json: everything `buildReport` derives from a
 * `ReportInput`. Plain data only (numbers, strings, arrays, null), so that the
 * JSON file round-trips to this type, except `verdicts`: a list walked from
 * the job's outcomes whenever it is written (ReportVerdicts), which the file
 * holds as an array of MessageOutcome. Fractions are in [0, 1], times are
 * ms since the epoch, durations are ms unless the name says otherwise.
 */
import type {
  BatchCommit,
  FencedCommitEvent,
  UnknownCommitEvent,
  QuarantinedBatch,
  MessageOutcome,
  ReclaimEvent,
  ReportInput,
} from './types.js';
import type { ReportLearning } from './learning.js';

export const REPORT_SCHEMA_VERSION = 1;

export interface ReportTotals {
  readonly messages: number;
  readonly spam: number;
  readonly ham: number;
  readonly unsure: number;
  readonly failed: number;
}

export interface FailedMessage {
  readonly key: number;
  readonly batch: number;
  readonly processor: string;
  readonly reason: string;
}

export interface BatchSummary {
  /** Batches in the job plan. */
  readonly planned: number;
  /** Distinct batches with a commit. */
  readonly committed: number;
  readonly quarantined: number;
  /** Neither committed nor quarantined: still to do (or lost, if the job says it is complete). */
  readonly pending: number;
  /** Committed batches that needed more than one claim. */
  readonly retried: number;
}

/** Predicted columns of the confusion matrix; rows are the known labels. */
export interface ConfusionRow {
  readonly spam: number;
  readonly ham: number;
  readonly unsure: number;
  readonly failed: number;
}

export interface ClassificationMetrics {
  readonly accuracy: number | null;
  /** Ham called spam / ham. */
  readonly falsePositiveRate: number | null;
  /** Spam called spam / spam. */
  readonly spamRecall: number | null;
  /** Spam called spam / everything called spam. */
  readonly precision: number | null;
  readonly f1: number | null;
}

export interface AccuracyReport {
  /** Messages with a known label (failed ones included). */
  readonly labelled: number;
  readonly unlabelled: number;
  /** Labelled messages that got a verdict; the denominator of every metric. */
  readonly evaluated: number;
  /** Rows: the true label; columns: what the processors said. */
  readonly confusion: { readonly spam: ConfusionRow; readonly ham: ConfusionRow };
  /** Primary figures: an unsure message is not flagged, so it counts as ham. */
  readonly metrics: ClassificationMetrics;
  /** The same figures if every unsure message were treated as spam. */
  readonly metricsUnsureAsSpam: ClassificationMetrics;
  /** Plain-words statement of how unsure and failed messages are counted. */
  readonly policy: string;
}

export interface ProcessorSummary {
  readonly processor: string;
  /** Outcomes attributed to this processor. */
  readonly messages: number;
  readonly batches: number;
  /** From its first claim (commit time − duration) to its last commit; 0 with no commits. */
  readonly activeMs: number;
  /** Committed messages per second over the active span; null with no commits. */
  readonly messagesPerSecond: number | null;
  /** Sum of its batches' claim-to-commit durations. */
  readonly busyMs: number;
  /** Claims taken away from this processor. */
  readonly lostClaims: number;
  /** Batches this processor reclaimed from others. */
  readonly reclaimed: number;
  readonly fencedCommits: number;
  readonly maxEventLoopStallMs: number | null;
}

export interface ThroughputSeries {
  readonly processor: string;
  /** Messages per second in each bucket. */
  readonly messagesPerSecond: readonly number[];
}

/**
 * Throughput over time: each batch's messages are spread evenly over its
 * claim-to-commit span. Bucket i covers startMs + i × bucketMs onwards; the last
 * one stops at endMs, and its rate is over that shorter span.
 */
export interface ThroughputTimeline {
  readonly startMs: number;
  readonly endMs: number;
  readonly bucketMs: number;
  readonly buckets: number;
  readonly series: readonly ThroughputSeries[];
}

export interface HistogramBin {
  /** Inclusive lower edge; the last bin also includes its upper edge, 1. */
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly spamLabelled: number;
  readonly hamLabelled: number;
  readonly unlabelled: number;
}

export type IntegrityStatus = 'pass' | 'fail' | 'skipped';

export interface IntegrityCheck {
  readonly name: string;
  readonly status: IntegrityStatus;
  readonly detail: string;
}

export interface DuplicateKey {
  readonly key: number;
  readonly count: number;
  readonly batches: readonly number[];
}

export interface IntegrityReport {
  /** True when no check failed. */
  readonly ok: boolean;
  readonly checks: readonly IntegrityCheck[];
  /** Message keys with more than one outcome (capped; see the unique-keys check for the count). */
  readonly duplicateKeys: readonly DuplicateKey[];
}

/** A message called spam or unsure, as report.md and report.html name it. */
export type FlaggedMessage = MessageOutcome & { readonly verdict: 'spam' | 'unsure'; readonly score: number };

export interface FlaggedList {
  /** The highest scores first (then by key, batch, processor), at most MAX_FLAGGED_ROWS. */
  readonly rows: readonly FlaggedMessage[];
  /** Spam and unsure messages in all, shown or not. */
  readonly total: number;
}

/**
 * report.json's verdicts, walked from the job's outcomes whenever they are
 * listed rather than held (ReportVerdicts in verdict-list.ts), with what the
 * report keeps about them: their count and the flagged rows.
 */
export interface VerdictList extends Iterable<MessageOutcome> {
  readonly length: number;
  readonly flagged: FlaggedList;
  /** The whole list (JSON.stringify of a small report); the report's writers stream it instead. */
  toJSON(): MessageOutcome[];
}

export interface JobReport {
  readonly schemaVersion: number;
  readonly job: ReportInput['job'];
  readonly totals: ReportTotals;
  readonly batches: BatchSummary;
  readonly accuracy: AccuracyReport | null;
  readonly processors: readonly ProcessorSummary[];
  readonly throughput: ThroughputTimeline;
  readonly scoreHistogram: readonly HistogramBin[];
  readonly integrity: IntegrityReport;
  /** Longest event-loop stall of any processor, when measured. */
  readonly maxEventLoopStallMs: number | null;
  readonly commits: readonly BatchCommit[];
  readonly reclaims: readonly ReclaimEvent[];
  readonly fencedCommits: readonly FencedCommitEvent[];
  readonly unknownCommits: readonly UnknownCommitEvent[];
  readonly quarantined: readonly QuarantinedBatch[];
  readonly failed: readonly FailedMessage[];
  /** Classified from partial input: key and note. */
  readonly partial: readonly { readonly key: number; readonly note: string }[];
  /** Every verdict, by key (then batch, processor); report.json lists it as an array of MessageOutcome. */
  readonly verdicts: VerdictList;
  /** With learned model versions (--learn): the versions used and the corrections learned. */
  readonly learning?: ReportLearning;
}
