/**
 * Every error the coordination layer throws: a class with a stable `code` and a
 * message that names the thing and what to do about it. How to fix it in a
 * particular deployment (which variable holds the credentials, which script
 * starts a server) is the caller's to add: this layer knows no CLI.
 */
import zookeeper from 'node-zookeeper-client';

export class CoordinationError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The ensemble did not accept a connection within the connect timeout. */
export class ZkUnreachableError extends CoordinationError {
  constructor(connectString: string, timeoutMs: number) {
    super(
      'ZK_UNREACHABLE',
      `ZooKeeper at ${connectString} unreachable after ${formatMs(timeoutMs)}; is the server running and the address right?`,
    );
  }
}

/** A request got no reply in time; its outcome is unknown (it may still be applied). */
export class ZkRequestTimeoutError extends CoordinationError {
  constructor(op: string, path: string, timeoutMs: number) {
    super('ZK_REQUEST_TIMEOUT', `ZooKeeper ${op} ${path} got no reply within ${formatMs(timeoutMs)}; outcome unknown`);
  }
}

/**
 * The session (and every ephemeral node it owned: registrations, claims) must
 * be assumed gone. Work in hand must stop; a new session must be started.
 */
export class SessionLostError extends CoordinationError {
  /**
   * True when this process itself stalled (event loop blocked or the process
   * stopped) between the last answered request and the loss: the loss may be
   * the work's own doing, so the attempt in hand is counted against its batch.
   * False when the process ran smoothly and the server or the network went
   * silent: the fleet's fault, charged to no batch (docs/design.md).
   */
  readonly processStalled: boolean;

  constructor(reason: string, processStalled = true) {
    super('ZK_SESSION_LOST', `ZooKeeper session lost: ${reason}; claims held by it are void`);
    this.processStalled = processStalled;
  }
}

/** A ZooKeeper error reply (NO_NODE, NODE_EXISTS, BAD_VERSION, NO_AUTH...). */
export class ZkOperationError extends CoordinationError {
  constructor(
    readonly zkCode: number,
    readonly zkName: string,
    readonly op: string,
    readonly path: string,
  ) {
    super(`ZK_${zkName}`, `ZooKeeper ${op} ${path} failed: ${zkName} (code ${zkCode})${hint(zkCode)}`);
  }
}

/** A job already exists under this id with a different spec. */
export class JobSpecMismatchError extends CoordinationError {
  constructor(jobId: string, field: string, existing: unknown, wanted: unknown) {
    super(
      'JOB_SPEC_MISMATCH',
      `job ${jobId} exists with ${field}=${JSON.stringify(existing)}, this processor wants ${JSON.stringify(wanted)}; use a new job id or the same spec`,
    );
  }
}

/** The plan changed under an extend (another caller extended first), or the batches are malformed. */
export class PlanConflictError extends CoordinationError {
  constructor(message: string) {
    super('PLAN_CONFLICT', message);
  }
}

export class JobNotFoundError extends CoordinationError {
  constructor(jobId: string, path: string) {
    super('JOB_NOT_FOUND', `job ${jobId} not found at ${path}; plan it first or check the root path`);
  }
}

/** A job is running (processors registered or claims held); deleting it needs force. */
export class JobRunningError extends CoordinationError {
  constructor(jobId: string, processors: number, claims: number) {
    super('JOB_RUNNING', `job ${jobId} is running (${processors} live processors, ${claims} claims held); stop it first or pass --force`);
  }
}

/** The job was deleted, or is being deleted: nobody may join, plan or work on it. */
export class JobDeletedError extends CoordinationError {
  constructor(jobId: string, path: string) {
    super('JOB_DELETED', `job ${jobId} was deleted or is being deleted (${path}); work on it stopped. A new run starts a new job once the delete has finished`);
  }
}

/** A lifecycle method was called in the wrong state (start twice, use after close). */
export class LifecycleError extends CoordinationError {
  constructor(message: string) {
    super('LIFECYCLE', message);
  }
}

/** A processor id is registered by another live session. */
export class DuplicateProcessorIdError extends CoordinationError {
  constructor(processorId: string, path: string) {
    super('DUPLICATE_PROCESSOR_ID', `processor id ${processorId} is registered by another live session (${path}); processor ids must be unique`);
  }
}

/** A processor or job id has characters the znode layout does not allow. */
export class InvalidIdError extends CoordinationError {
  constructor(what: string, id: string, pattern: RegExp) {
    super('INVALID_ID', `${what} ${JSON.stringify(id)} must match ${pattern}`);
  }
}

/** A znode holds data this version cannot read. */
export class CorruptRecordError extends CoordinationError {
  constructor(what: string, detail: string) {
    super('CORRUPT_RECORD', `${what} ${detail}`);
  }
}

/** Raised into the worker's AbortSignal when our claim is known to be gone. */
export class ClaimLostError extends CoordinationError {
  constructor(batch: number, why: string) {
    super('CLAIM_LOST', `claim on batch ${batch} lost: ${why}; the result will not be committed`);
  }
}

/**
 * ZooKeeper drops a connection whose packet exceeds jute.maxbuffer (1 MiB by
 * default) - the commit would look like a network fault, over and over. So an
 * oversized result is a failure of the worker, with a clear message.
 */
export const MAX_RESULT_BYTES = 1_000_000;

export class ResultTooLargeError extends CoordinationError {
  constructor(batch: number, bytes: number) {
    super('RESULT_TOO_LARGE', `result of batch ${batch} is ${bytes} bytes; a done marker holds at most ${MAX_RESULT_BYTES}: use smaller batches or a more compact result`);
  }
}

/**
 * Raised into the worker's AbortSignal when the worker has neither returned
 * nor heartbeaten for 2 × staleAfterMs: its attempt is given up (attempt.ts).
 */
export class WorkerStalledError extends CoordinationError {
  constructor(batch: number, silentMs: number) {
    super(
      'WORKER_STALLED',
      `worker on batch ${batch} made no progress for ${Math.round(silentMs)} ms (no heartbeat, no result); attempt given up: a worker must heartbeat at least every staleAfterMs / 2`,
    );
  }
}

/** Raised into the worker's AbortSignal by drain()/close(). */
export class ReleasedError extends CoordinationError {
  constructor(batch: number, why: string) {
    super('BATCH_RELEASED', `batch ${batch} released: ${why}`);
  }
}

export function isZkError(err: unknown, zkCode: number): err is ZkOperationError {
  return err instanceof ZkOperationError && err.zkCode === zkCode;
}

/** True when a write may or may not have been applied (the reply was lost). */
export function isAmbiguous(err: unknown): boolean {
  return (
    err instanceof ZkRequestTimeoutError ||
    err instanceof SessionLostError ||
    isZkError(err, zookeeper.Exception.CONNECTION_LOSS)
  );
}

function hint(zkCode: number): string {
  switch (zkCode) {
    case zookeeper.Exception.NO_AUTH:
      return ' (this client lacks the fleet credentials)';
    case zookeeper.Exception.CONNECTION_LOSS:
      return ' (connection lost; outcome unknown)';
    default:
      return '';
  }
}

export class SemaphoreTimeoutError extends CoordinationError {
  constructor(path: string, maxLeases: number, timeoutMs: number) {
    super(
      'SEMAPHORE_TIMEOUT',
      `no lease of ${path} (max ${maxLeases}) within ${formatMs(timeoutMs)}; every lease is held: wait longer or raise the cap`,
    );
  }
}

export class SemaphoreConfigError extends CoordinationError {
  constructor(message: string) {
    super('SEMAPHORE_CONFIG', message);
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms)} ms`;
}
