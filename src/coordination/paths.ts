/**
 * The builders of every znode path of the protocol. A child found by listing
 * its parent (an attempt or event name) is joined to its parent's path where
 * it is read.
 *
 *   <root>/jobs/<jobId>                         JobSpec (JSON), immutable
 *   <root>/jobs/<jobId>/plan                    PlanInfo; version bumped by each append (extend)
 *   <root>/jobs/<jobId>/planning                EPHEMERAL lock of the processor writing the plan
 *   <root>/jobs/<jobId>/batches/<b>             Batch range (JSON)
 *   <root>/jobs/<jobId>/batches/<b>/claim-<pid>-<nonce>-<seq>   EPHEMERAL_SEQUENTIAL claim
 *   <root>/jobs/<jobId>/batches/<b>/attempt-<k>                 one per started attempt (failed attempts stay)
 *   <root>/jobs/<jobId>/done/<b>                done marker (header + result), created by the fenced commit
 *   <root>/jobs/<jobId>/quarantine/<b>          QuarantineRecord
 *   <root>/jobs/<jobId>/events/ev-<seq>         reclaim / fenced-commit records (PERSISTENT_SEQUENTIAL)
 *   <root>/jobs/<jobId>/processors/<pid>        EPHEMERAL registration of a live processor
 *   <root>/jobs/<jobId>/complete                {batchCount} once that many batches are all closed
 *   <root>/jobs/<jobId>/control                 JobControl (pause/drain, live settings); each change a CAS setData (control.ts)
 *
 * <b> is the batch index zero-padded to 10 digits so that names sort as numbers.
 */
import { InvalidIdError } from './errors.js';

/** The root znode of a fleet unless told otherwise. */
export const DEFAULT_ROOT = '/spamzk';

const PAD = 10;
const NONCE_LEN = 6;
const ID_RE = /^[A-Za-z0-9._]+$/;
const JOB_ID_RE = /^[A-Za-z0-9._-]+$/;

export function batchName(index: number): string {
  return String(index).padStart(PAD, '0');
}

export function parseBatchName(name: string): number {
  return Number.parseInt(name, 10);
}

export function assertProcessorId(id: string): void {
  if (!ID_RE.test(id)) throw new InvalidIdError('processor id', id, ID_RE);
}

export function assertJobId(id: string): void {
  if (!JOB_ID_RE.test(id)) throw new InvalidIdError('job id', id, JOB_ID_RE);
}

export class JobPaths {
  readonly job: string;

  constructor(
    readonly root: string,
    readonly jobId: string,
  ) {
    assertJobId(jobId);
    this.job = `${jobsDir(root)}/${jobId}`;
  }

  get plan(): string { return `${this.job}/plan`; }
  get planningLock(): string { return `${this.job}/planning`; }
  get batches(): string { return `${this.job}/batches`; }
  get doneDir(): string { return `${this.job}/done`; }
  get quarantineDir(): string { return `${this.job}/quarantine`; }
  get eventsDir(): string { return `${this.job}/events`; }
  get processorsDir(): string { return `${this.job}/processors`; }
  get complete(): string { return `${this.job}/complete`; }
  get control(): string { return `${this.job}/control`; }
  /** Never created: a write to it fails, and that failed write serves as a sync (processor.ts). */
  get syncProbe(): string { return `${this.job}/sync-probe`; }
  /** Directories created with the job, in creation order. */
  get dirs(): string[] {
    return [this.batches, this.doneDir, this.quarantineDir, this.eventsDir, this.processorsDir];
  }

  batch(b: number): string { return `${this.batches}/${batchName(b)}`; }
  done(b: number): string { return `${this.doneDir}/${batchName(b)}`; }
  quarantine(b: number): string { return `${this.quarantineDir}/${batchName(b)}`; }
  processor(processorId: string): string { return `${this.processorsDir}/${processorId}`; }
  eventPrefix(): string { return `${this.eventsDir}/ev-`; }
  attempt(b: number, k: number): string { return `${this.batch(b)}/${attemptName(k)}`; }
  claim(b: number, name: string): string { return `${this.batch(b)}/${name}`; }
  /** Prefix of a claim node; ZooKeeper appends the 10-digit sequence. */
  claimPrefix(b: number, processorId: string, nonce: string): string {
    return `${this.batch(b)}/claim-${processorId}-${nonce}-`;
  }
}

export function jobsDir(root: string): string {
  return `${root === '/' ? '' : root}/jobs`;
}

export function attemptName(k: number): string {
  return `attempt-${String(k).padStart(PAD, '0')}`;
}

export function isAttemptName(name: string): boolean {
  return name.startsWith('attempt-');
}

export function attemptNumber(name: string): number {
  return Number.parseInt(name.slice('attempt-'.length), 10);
}

export function isClaimName(name: string): boolean {
  return name.startsWith('claim-');
}

/**
 * Claim names identify their creator (processor id and a per-attempt nonce),
 * so a create whose reply was lost can be found again (docs/findings.md: a re-sent
 * create can leave a second node owned by our live session).
 */
export function parseClaimName(name: string): { processorId: string; nonce: string; seq: number } {
  const seq = Number.parseInt(name.slice(-PAD), 10);
  const nonceEnd = name.length - PAD - 1;
  const nonce = name.slice(nonceEnd - NONCE_LEN, nonceEnd);
  const processorId = name.slice('claim-'.length, nonceEnd - NONCE_LEN - 1);
  return { processorId, nonce, seq };
}

export function newNonce(): string {
  return Math.random().toString(36).slice(2, 2 + NONCE_LEN).padEnd(NONCE_LEN, '0');
}

/** Claim names ordered by sequence: the first is the owner (read by attempts and by status readers alike). */
export function sortClaims(children: string[]): string[] {
  return children.filter(isClaimName).sort((a, b) => parseClaimName(a).seq - parseClaimName(b).seq);
}
