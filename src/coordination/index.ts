/**
 * Work claiming on ZooKeeper: a job cut into batches of opaque integer key
 * ranges, shared by a fleet of processors so that no batch is skipped and
 * none is committed twice. See docs/design.md.
 */
export { ZkSession } from './session.js';
export type { ZkSessionOptions, ZkAuth, RequestCounts, ZkSessionEvents } from './session.js';
export { Processor } from './processor.js';
export type { JobToRun } from './processor.js';
export { jobSettingsOf } from './settings.js';
export type { ProcessorOptions } from './settings.js';
export type { WorkerFn, WorkContext, ProcessorEvents, RunSummary } from './worker.js';
export { openJob, extendJob, readPlan, readSpec } from './planner.js';
export type { BatchPlanner, OpenJobOptions, OpenJobResult, PlanFrom } from './planner.js';
export { listJobs, readBatches, readJobStatus, readLiveClaims, readDoneMarkers, readDoneMarkersOf, readQuarantine, readEvents } from './reader.js';
export type { JobListing } from './reader.js';
export { deleteJob, readJobFootprint, readJobFootprints } from './lifecycle.js';
export { readCheckpoint, readFrontier, readPlanTail, FOLD_MIN } from './frontier.js';
export type { Checkpoint, Frontier, FrontierBatch } from './frontier.js';
export type { JobFootprint, JobState, DeleteOutcome } from './lifecycle.js';
export { DEFAULT_ROOT, JobPaths } from './paths.js';
export {
  ExactlyOnceLog,
  ExactlyOnceLogError,
  MAX_RECORDS_PER_MULTI,
  type AppendOutcome,
  type LogRecord,
  type PendingRecord,
  type Versioned,
} from './exactly-once-log.js';
export { readControl, changeControl, ControlWatch, ControlConflictError, CONTROL_STATES, DEFAULT_CONTROL } from './control.js';
export type { ControlState, JobControl, ControlSnapshot, ControlWatchEvents } from './control.js';
export { LeaseSemaphore, Lease, type LeaseSemaphoreOptions, type AcquireOptions, type LeaseData } from './semaphore.js';
export {
  CoordinationError,
  ZkUnreachableError,
  ZkRequestTimeoutError,
  SessionLostError,
  ZkOperationError,
  JobSpecMismatchError,
  PlanConflictError,
  JobNotFoundError,
  JobRunningError,
  JobDeletedError,
  LifecycleError,
  DuplicateProcessorIdError,
  InvalidIdError,
  CorruptRecordError,
  ClaimLostError,
  ReleasedError,
  ResultTooLargeError,
  WorkerStalledError,
  SemaphoreTimeoutError,
  SemaphoreConfigError,
  MAX_RESULT_BYTES,
} from './errors.js';
export type {
  JobSpec,
  JobSettings,
  Batch,
  Claim,
  ClaimData,
  DoneMarker,
  QuarantineRecord,
  CoordinationEventRecord,
  CoordinationEventType,
  PlanInfo,
  JobStatus,
  LiveProcessor,
} from './types.js';
