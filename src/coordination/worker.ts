/**
 * The contract between a processor and the caller's work function, and the
 * processor's typed events.
 */
import type { JobPaths } from './paths.js';
import type { StoredEvent } from './records.js';
import type { SessionLostError } from './errors.js';
import type { ResolvedProcessorOptions } from './settings.js';
import type { Batch, JobSettings } from './types.js';
import type { ControlSnapshot } from './control.js';

export interface WorkContext {
  /** Aborts when the claim can no longer be committed (session lost, claim reclaimed) or on drain timeout/close. */
  signal: AbortSignal;
  /** 1-based attempt number of this batch (failed attempts before it: attempt - 1). */
  attempt: number;
  /** ZooKeeper sequence of our claim. */
  claimSeq: number;
  processorId: string;
  /**
   * Reports progress: updates the claim's status (a versioned setData, at most
   * once per heartbeatIntervalMs; extra calls are coalesced). Call it at least
   * every staleAfterMs / 2, or the claim is reclaimed as stuck. Rejects if the
   * claim is lost.
   */
  heartbeat(status?: string): Promise<void>;
}

/** Processes one batch and returns its result (stored in the done marker: at most MAX_RESULT_BYTES, 1,000,000 bytes). */
export type WorkerFn = (batch: Batch, ctx: WorkContext) => Promise<Buffer>;

export interface ProcessorEvents extends Record<string, unknown[]> {
  claimed: [{ batch: Batch; claimSeq: number; attempt: number }];
  /** claimMs: from the first look at the batch to owning it; workMs: the worker; commitMs: the fenced commit. */
  committed: [{ batch: Batch; claimSeq: number; attempt: number; claimMs: number; workMs: number; commitMs: number }];
  /** Our claim multi failed: another processor claimed (or closed) the batch first. Nothing was written. */
  lostRace: [{ batch: number; attempt: number }];
  fenced: [{ batch: number; claimSeq: number; reason: string }];
  reclaimed: [{ batch: number; fromProcessorId: string; claimSeq: number; staleMs: number }];
  failed: [{ batch: number; attempt: number; error: string }];
  quarantined: [{ batch: number; attempts: number; lastError: string }];
  released: [{ batch: number; claimSeq: number }];
  /** An attempt of ours cut short by a session lost to a fault of the fleet was marked as not counting against its batch. */
  spared: [{ batch: number; attempt: number; reason: string }];
  sessionStarted: [{ sessionId: string; timeoutMs: number }];
  sessionLost: [{ error: SessionLostError }];
  /** A recoverable problem the processor handled (e.g. a ZooKeeper restart); for logs. */
  warning: [{ message: string; error?: unknown }];
  complete: [{ jobId: string; batchCount: number }];
  /** The job-wide settings in force once the job is open; `differs` names those where this processor's own options disagreed (the job's win). */
  jobSettings: [{ settings: JobSettings; differs: Array<keyof JobSettings> }];
  /**
   * A job control version this processor had not seen (the first read included). Listeners apply
   * its settings synchronously; once they return, the version is acknowledged in the registration.
   */
  control: [ControlSnapshot];
}

/** What one attempt needs from its processor (implemented by Processor). */
export interface AttemptHost {
  readonly paths: JobPaths;
  readonly processorId: string;
  readonly options: ResolvedProcessorOptions;
  readonly worker: WorkerFn;
  /** Claims of others we are watching for staleness: batch -> what we saw and when (monotonic ms). */
  readonly observed: Map<number, { claimName: string; version: number; since: number }>;
  emit<K extends keyof ProcessorEvents & string>(event: K, ...args: ProcessorEvents[K]): void;
  /** Registers a callback for drain timeout / close; returns its remover. */
  onStop(cb: (why: string) => void): () => void;
  /** Who committed batch b (read through a live session, starting a new one if needed). */
  readDoneOwner(b: number): Promise<{ processorId: string; claimSeq: number } | undefined>;
  /** Records an event through any live session; failures are reported as warnings, never thrown. */
  recordEventSomehow(event: StoredEvent): Promise<void>;
  countHeartbeat(): void;
  /** Queues an attempt of ours to be spared (not counted against its batch) once a new session is up. */
  spareAttempt(a: AttemptToSpare): void;
}

/** An attempt whose processor lost its session to a fault of the fleet, not of the batch. */
export interface AttemptToSpare {
  batch: number;
  attempt: number;
  nonce: string;
  reason: string;
}

export interface RunSummary {
  jobId: string;
  processorId: string;
  batchCount: number;
  complete: boolean;
  committed: number;
  lostRaces: number;
  fenced: number;
  reclaimed: number;
  failed: number;
  quarantined: number;
  released: number;
  sessionsLost: number;
  /** Attempts of ours cut short by a fault of the fleet and marked as not counting against their batch. */
  spared: number;
  heartbeats: number;
  /** The job's control said `draining`: this processor stopped claiming and left the job unfinished (resumable). */
  drained?: boolean;
}

export function emptySummary(jobId: string, processorId: string): RunSummary {
  return {
    jobId,
    processorId,
    batchCount: 0,
    complete: false,
    committed: 0,
    lostRaces: 0,
    fenced: 0,
    reclaimed: 0,
    failed: 0,
    quarantined: 0,
    released: 0,
    sessionsLost: 0,
    spared: 0,
    heartbeats: 0,
    drained: false,
  };
}
