/**
 * The pipeline joins the classifier, the coordination layer and the mail
 * sources: a processor claims a batch, fetches it, classifies it, and commits
 * its verdicts inside the batch's done marker.
 */
export { runJob, type JobRunInput, type JobRunOutcome } from './job-run.js';
export { runProcessor, jobSpecFor, SourceChangedError, type ProcessorRunInput, type ProcessorRunSummary } from './processor-run.js';
export { CHILD_CONFIG_ENV, CHILD_JOB_ENV, ProcessorStoppedError } from './fleet.js';
export { gatherReportInput } from './gather.js';
export { decodeBatchResult, encodeBatchResult, type BatchResult, type MessageResult } from './batch-result.js';
export { jobIdFor } from './job-identity.js';
export { planBatches } from './plan.js';
