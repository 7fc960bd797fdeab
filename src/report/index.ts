/**
 * The job report: `buildReport` shapes what the pipeline gathered from
 * ZooKeeper and the source into report.json's content; the renderers turn it
 * into report.md and a self-contained report.html; `writeReportFiles` writes
 * all three.
 */
export { buildReport, listedOutcome } from './build.js';
export { allOutcomes } from './outcome-walk.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { writeReportFiles, writeReportJson, writeReportJsonLine, type ReportFiles } from './write.js';
export { ReportInputError } from './validate.js';
export type { LearnedByRun, ReportLearning, VersionUse } from './learning.js';
export { commitRate, throughputTimeline, type CommitRate } from './throughput.js';
export type {
  AccuracyReport,
  BatchSummary,
  ClassificationMetrics,
  ConfusionRow,
  DuplicateKey,
  FlaggedList,
  FlaggedMessage,
  FailedMessage,
  HistogramBin,
  IntegrityCheck,
  IntegrityReport,
  IntegrityStatus,
  JobReport,
  ProcessorSummary,
  ReportTotals,
  ThroughputSeries,
  ThroughputTimeline,
  VerdictList,
} from './job-report.js';
export type {
  BatchCommit,
  FencedCommitEvent,
  MessageOutcome,
  OutcomeGroups,
  Outcomes,
  QuarantinedBatch,
  ReclaimEvent,
  ReportInput,
  MessageHeaders,
  MessageVerdict,
  SourceCount,
  TrueLabel,
  UnknownCommitEvent,
} from './types.js';
