/**
 * The pipeline joins the classifier, the coordination layer and the mail
 * sources: a processor claims a batch, fetches it, classifies it, and commits
 * its verdicts inside the batch's done marker. It is a library: it is handed
 * its settings (settings.ts), a ZooKeeper connect string and a logger, and
 * reads no flag or environment variable of its own.
 */
export type { JobSettings, LearnSettings, Logger, LogLevel, MetricsEndpoint, ProcessorSettings, WriteBackMode, ZkAuth } from './settings.js';
export { LOG_LEVELS, WRITE_BACK_MODES } from './settings.js';
export { runJob, type DrainedRun, type JobRunInput, type JobRunOutcome, type ProgressDisplay, type ProgressWatch } from './job-run.js';
export { runProcessor, SourceChangedError, type ProcessorRunInput } from './processor-run.js';
export {
  ChildProtocolError,
  readChildOrder,
  spawnProcessor,
  summaryLine,
  type ChildExit,
  type ChildOrder,
  type ProcessorChild,
  type ProcessorRunSummary,
} from './child-protocol.js';
export { LocalFleet, ProcessorGaveUpError, ProcessorStoppedError, type FleetOptions, type FleetOutcome } from './fleet.js';
export { commitsOf, gatherReportInput, readBatchCommits } from './gather.js';
export { decodeBatchResult, encodeBatchResult, type BatchResult } from './batch-result.js';
export { jobSpecFor } from './job-identity.js';
export { planBatches } from './plan.js';
export { DEFAULT_MODEL_STORE, ModelStore, readModelHead, type LearningSummary, type ModelHead } from './learning/index.js';
export { applyControl, LiveSettingError, LIVE_SETTING_NAMES, parseLiveSettings, type AppliedControl, type LiveSettings, type LiveSettingName } from './live-settings.js';
export { FleetConnectionCap, fleetCapFor, imapSemaphorePath, type FleetConnectionCapOptions } from './imap-cap.js';
