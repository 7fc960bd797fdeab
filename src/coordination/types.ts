/**
 * The protocol's nouns. A job is cut into batches of opaque integer key
 * ranges; this layer knows nothing of what the keys mean.
 */

/** What a job is. Immutable once planned: joining a job with a different spec is an error. */
export interface JobSpec {
  /** [A-Za-z0-9._-]+, unique per root. */
  jobId: string;
  /** Identity of the data (e.g. a mailbox at one UIDVALIDITY). */
  sourceId: string;
  modelId: string;
  batchSize: number;
  /** Free-form strings the planner records with the job (compared on join too). */
  metadata?: Record<string, string>;
  /** For people only (reports, status): names the first planner gave; never compared on join. */
  display?: Record<string, string>;
  /**
   * Settings every member must share, recorded when the job is created. A
   * member whose own options differ uses these and says so. Absent on jobs
   * created without them: members then use their own options.
   */
  settings?: JobSettings;
}

/** What members of one job must agree on: a shorter staleAfterMs on one member would reclaim its peers' healthy claims. */
export interface JobSettings {
  /** A live claim whose version has not changed for this long is reclaimed. */
  staleAfterMs: number;
  /** Minimum interval between heartbeat writes (from the previous reply). */
  heartbeatIntervalMs: number;
  /** Counted failed attempts before a batch is quarantined. */
  maxAttempts: number;
}

/** One unit of work: the keys first..last (inclusive); `count` keys actually exist in it. */
export interface Batch {
  index: number;
  first: number;
  last: number;
  count: number;
}

/** The data of a claim znode (EPHEMERAL_SEQUENTIAL, one per claim attempt). */
export interface ClaimData {
  processorId: string;
  /** Wall-clock ms of the writer, for humans only: staleness is judged from ZooKeeper versions and the observer's clock. */
  at: number;
  status: string;
  /** 1-based attempt number once the claim owns the batch; 0 while contending. */
  attempt: number;
}

/** A claim as seen in ZooKeeper. */
export interface Claim extends ClaimData {
  batch: number;
  /** ZooKeeper's sequence number of the claim node: the order of claims. */
  seq: number;
  name: string;
  version: number;
}

/** Written atomically with the commit of a batch: proof it was processed once, and its result. */
export interface DoneMarker {
  batch: number;
  processorId: string;
  claimSeq: number;
  attempt: number;
  /** ZooKeeper ctime of the claim node (ms since epoch, server clock). */
  claimedAt: number;
  /** ZooKeeper ctime of the done marker (server clock). */
  committedAt: number;
  result: Buffer;
}

export interface QuarantineRecord {
  batch: number;
  attempts: number;
  lastError: string;
  /** Processor that quarantined it. */
  processorId: string;
  /** ZooKeeper ctime of the record. */
  at: number;
}

/** 'unknown': a commit whose reply was lost and whose outcome could not be read back for certain. */
export type CoordinationEventType = 'reclaimed' | 'fenced' | 'unknown';

/** A small persistent record of a fault the protocol handled. */
export interface CoordinationEventRecord {
  type: CoordinationEventType;
  batch: number;
  /** Who acted (the reclaimer, or the processor whose commit was fenced out). */
  processorId: string;
  /** Who was affected (the owner of the reclaimed claim), when known. */
  otherProcessorId?: string;
  claimSeq: number;
  detail: string;
  /** ZooKeeper ctime of the record. */
  at: number;
}

export interface PlanInfo {
  batchCount: number;
  /** True once every batch node of the initial plan exists. */
  ready: boolean;
  /** ZooKeeper version of the plan node (bumped by every append). */
  version: number;
}

export interface LiveProcessor {
  processorId: string;
  host: string;
  pid: number;
  /** Batches whose owning (lowest) claim is this processor's. */
  holding: number[];
  /** The newest job control version this processor has applied (-1: none; undefined: a processor that predates the control). */
  controlVersion?: number;
}

export interface JobStatus {
  spec: JobSpec;
  batchCount: number;
  done: number;
  quarantined: number;
  /** Open batches with a live claim. */
  claimed: number;
  /** Open batches with no claim. */
  pending: number;
  complete: boolean;
  processors: LiveProcessor[];
  reclaims: number;
  fencedCommits: number;
}
