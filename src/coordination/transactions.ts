/**
 * Every state change of the protocol, one named function each. The name says
 * what ZooKeeper guarantees when it succeeds. The one write elsewhere is
 * openJob's mkdirp of the jobs folder (planner.ts), which holds no state.
 *
 * Two versions fence everything (see docs/design.md):
 *  - the batch node's version: bumped only when the batch is closed (done or
 *    quarantined). Claim, commit and quarantine are conditional on it, so
 *    nothing is claimed or committed on a view older than the batch's closing;
 *  - the claim node: unique (sequential) and written only by its owner, so its
 *    existence proves it was neither reclaimed nor expired. Its version only
 *    serves the reclaimer's compare-and-delete (a plain delete, never in a multi).
 *
 * node-zookeeper-client sends version 0 inside a transaction as -1 ("any"):
 * batch nodes are therefore created and rewritten in the same planning multi,
 * so their version is >= 1 before anyone compares against it.
 */
import zookeeper from 'node-zookeeper-client';
import { isZkError, PlanConflictError } from './errors.js';
import type { JobPaths } from './paths.js';
import {
  encodeDone,
  encodeJson,
  type DoneHeader,
  type StoredAttempt,
  type StoredBatch,
  type StoredEvent,
  type StoredPlan,
  type StoredProcessor,
  type StoredQuarantine,
} from './records.js';
import type { MultiResult, ZkSession } from './session.js';
import type { Batch, ClaimData, JobSpec } from './types.js';

const { CreateMode, Exception } = zookeeper;
const ANY = -1;

/**
 * Creates the job node with its immutable spec, its directories, the plan
 * (empty, version 1) and our EPHEMERAL planning lock, all or nothing.
 * Returns false when the job already exists: exactly one caller ever plans it.
 */
export async function createJobWithPlanningLock(s: ZkSession, p: JobPaths, spec: JobSpec): Promise<boolean> {
  const plan: StoredPlan = { batchCount: 0, ready: false };
  try {
    await s.multi(`create job ${p.jobId}`, (tx) => {
      tx.create(p.job, encodeJson(spec), s.acl, CreateMode.PERSISTENT);
      tx.create(p.plan, encodeJson(plan), s.acl, CreateMode.PERSISTENT);
      tx.setData(p.plan, encodeJson(plan), ANY); // version 0 -> 1 (see header)
      tx.create(p.planningLock, Buffer.alloc(0), s.acl, CreateMode.EPHEMERAL);
      for (const dir of p.dirs) tx.create(dir, Buffer.alloc(0), s.acl, CreateMode.PERSISTENT);
    });
    return true;
  } catch (err) {
    if (isZkError(err, Exception.NODE_EXISTS)) return false;
    throw err;
  }
}

/** Takes over planning of an unfinished plan whose planner died. False if someone holds the lock. */
export async function takePlanningLock(s: ZkSession, p: JobPaths): Promise<boolean> {
  try {
    await s.create(p.planningLock, Buffer.alloc(0), CreateMode.EPHEMERAL);
    return true;
  } catch (err) {
    if (isZkError(err, Exception.NODE_EXISTS)) return false;
    throw err;
  }
}

export async function releasePlanningLock(s: ZkSession, p: JobPaths): Promise<void> {
  await s.remove(p.planningLock, ANY).catch((err) => {
    if (!isZkError(err, Exception.NO_NODE)) throw err;
  });
}

/**
 * Appends batch nodes and raises the plan's batchCount in one multi that
 * holds only if the plan is still at `planVersion` (>= 1): two concurrent
 * extenders can never both number batches from the same count. Each batch
 * node is written twice so that its version starts at 1.
 */
export async function appendBatchesIfPlanUnchanged(
  s: ZkSession,
  p: JobPaths,
  planVersion: number,
  batches: Batch[],
  plan: StoredPlan,
): Promise<number> {
  if (planVersion < 1) throw new PlanConflictError(`plan of job ${p.jobId} has version 0; refusing an unversioned append`);
  const results = await s.multi(`append ${batches.length} batches to ${p.jobId}`, (tx) => {
    tx.setData(p.plan, encodeJson(plan), planVersion);
    for (const b of batches) {
      const stored = encodeJson({ first: b.first, last: b.last, count: b.count } satisfies StoredBatch);
      tx.create(p.batch(b.index), stored, s.acl, CreateMode.PERSISTENT);
      tx.setData(p.batch(b.index), stored, ANY); // version 0 -> 1 (see header)
    }
  });
  return results[0]?.stat?.version ?? planVersion + 1;
}

/** Declares the initial plan complete: only if the plan is still the one we wrote (plain setData, so any version is honoured). */
export async function markPlanReadyIfUnchanged(s: ZkSession, p: JobPaths, planVersion: number, batchCount: number): Promise<void> {
  const plan: StoredPlan = { batchCount, ready: true };
  await s.setData(p.plan, encodeJson(plan), planVersion);
}

/**
 * Claims a batch for attempt number `data.attempt`: creates our claim
 * (EPHEMERAL_SEQUENTIAL, named after its processor and a nonce) and the
 * attempt node, only if the batch is still open as we saw it (batch version)
 * and nobody started that attempt (the attempt node is created once). A lost
 * race fails the whole multi: the loser leaves nothing behind.
 * Returns the claim's node name.
 */
export async function claimBatchAttempt(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  batchVersion: number,
  nonce: string,
  data: ClaimData,
  record: StoredAttempt,
): Promise<string> {
  const results = await s.multi(`claim batch ${batch}`, (tx) => {
    tx.check(p.batch(batch), batchVersion);
    tx.create(p.claimPrefix(batch, data.processorId, nonce), encodeJson(data), s.acl, CreateMode.EPHEMERAL_SEQUENTIAL);
    tx.create(p.attempt(batch, data.attempt), encodeJson(record), s.acl, CreateMode.PERSISTENT);
  });
  const path = results[1]?.path ?? '';
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Removes a claim of ours (with its attempt node, uncounted, when given); missing nodes are fine. */
export async function withdrawClaim(s: ZkSession, p: JobPaths, batch: number, claimName: string, attempt?: number): Promise<void> {
  if (attempt !== undefined) {
    try {
      await s.multi(`withdraw claim on batch ${batch}`, (tx) => {
        tx.remove(p.claim(batch, claimName), ANY);
        tx.remove(p.attempt(batch, attempt), ANY);
      });
      return;
    } catch (err) {
      if (!isZkError(err, Exception.NO_NODE)) throw err;
    }
  }
  await s.remove(p.claim(batch, claimName), ANY).catch((err) => {
    if (!isZkError(err, Exception.NO_NODE)) throw err;
  });
}

/** Progress heartbeat: a compare-and-set on the claim, so a reclaim that saw the old version fails. */
export async function heartbeatClaim(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  claimName: string,
  version: number,
  data: ClaimData,
): Promise<number> {
  const stat = await s.setData(p.claim(batch, claimName), encodeJson(data), version);
  return stat.version;
}

/**
 * The fenced commit: the done marker is created only if our claim still
 * stands and the batch is still open as it was when we claimed it, and only
 * once (a persistent create). The batch is marked done, and the claim and the
 * batch's attempt nodes are removed, in the same transaction.
 */
export async function commitBatchIfClaimStands(
  s: ZkSession,
  p: JobPaths,
  batch: Batch,
  batchVersion: number,
  claimName: string,
  header: DoneHeader,
  result: Buffer,
  attemptNodes: string[],
): Promise<MultiResult[]> {
  const b = batch.index;
  return s.multi(`commit batch ${b}`, (tx) => {
    tx.check(p.claim(b, claimName), ANY);
    tx.setData(p.batch(b), encodeJson(closedBatch(batch, 'done')), batchVersion);
    tx.create(p.done(b), encodeDone(header, result), s.acl, CreateMode.PERSISTENT);
    tx.remove(p.claim(b, claimName), ANY);
    for (const a of attemptNodes) tx.remove(`${p.batch(b)}/${a}`, ANY);
  });
}

/** Gives the batch back without counting an attempt (graceful drain): only if our claim stands. */
export async function releaseClaimUncounted(s: ZkSession, p: JobPaths, batch: number, claimName: string, attempt: number): Promise<void> {
  await s.multi(`release batch ${batch}`, (tx) => {
    tx.check(p.claim(batch, claimName), ANY);
    tx.remove(p.attempt(batch, attempt), ANY);
    tx.remove(p.claim(batch, claimName), ANY);
  });
}

/**
 * Marks one of our attempts as not counting against its batch (its session was
 * lost to a fault of the fleet): a plain setData at the version we read, so it
 * fails if a failure or a reclaim was recorded on it meanwhile (those count).
 */
export async function spareAttemptIfUnchanged(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  attempt: number,
  version: number,
  record: StoredAttempt,
): Promise<void> {
  await s.setData(p.attempt(batch, attempt), encodeJson(record), version);
}

/** Records a failed attempt (the worker threw) and frees the batch: only if our claim stands. */
export async function recordFailedAttempt(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  claimName: string,
  attempt: number,
  record: StoredAttempt,
): Promise<void> {
  await s.multi(`record failed attempt ${attempt} of batch ${batch}`, (tx) => {
    tx.check(p.claim(batch, claimName), ANY);
    tx.setData(p.attempt(batch, attempt), encodeJson(record), ANY);
    tx.remove(p.claim(batch, claimName), ANY);
  });
}

/**
 * Moves a poison batch to quarantine, once: only if the batch is still open as
 * we saw it and, when `claimName` is given, only while our claim stands.
 */
export async function quarantineBatchIfOpen(
  s: ZkSession,
  p: JobPaths,
  batch: Batch,
  batchVersion: number,
  claimName: string | undefined,
  record: StoredQuarantine,
  attemptNodes: string[],
): Promise<void> {
  const b = batch.index;
  await s.multi(`quarantine batch ${b}`, (tx) => {
    if (claimName) tx.check(p.claim(b, claimName), ANY);
    tx.setData(p.batch(b), encodeJson(closedBatch(batch, 'quarantined')), batchVersion);
    tx.create(p.quarantine(b), encodeJson(record), s.acl, CreateMode.PERSISTENT);
    if (claimName) tx.remove(p.claim(b, claimName), ANY);
    for (const a of attemptNodes) tx.remove(`${p.batch(b)}/${a}`, ANY);
  });
}

/**
 * Reclaims a stale claim: a plain compare-and-delete at the version we watched
 * go stale (any heartbeat in between makes it fail; outside a multi, version 0
 * means 0). Then the reason is noted on the attempt and the event recorded.
 */
export async function reclaimClaimIfUnchanged(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  claimName: string,
  observedVersion: number,
  attempt: number,
  event: StoredEvent,
): Promise<void> {
  await s.remove(p.claim(batch, claimName), observedVersion);
  const failed: StoredAttempt = { processorId: event.otherProcessorId ?? '', claimSeq: event.claimSeq, error: `reclaimed by ${event.processorId}: ${event.detail}` };
  await s
    .multi(`record reclaim of batch ${batch}`, (tx) => {
      tx.setData(p.attempt(batch, attempt), encodeJson(failed), ANY);
      tx.create(p.eventPrefix(), encodeJson(event), s.acl, CreateMode.PERSISTENT_SEQUENTIAL);
    })
    .catch(async (err) => {
      // The attempt node may be gone (the batch was closed meanwhile): keep the event anyway.
      if (!isZkError(err, Exception.NO_NODE)) throw err;
      await recordEvent(s, p, event);
    });
}

/** Appends a small persistent event record (reclaims, fenced commits). */
export async function recordEvent(s: ZkSession, p: JobPaths, event: StoredEvent): Promise<void> {
  await s.create(p.eventPrefix(), encodeJson(event), CreateMode.PERSISTENT_SEQUENTIAL);
}

/** Registers a live processor (EPHEMERAL). False if the id is already registered (by any session). */
export async function registerProcessor(s: ZkSession, p: JobPaths, processorId: string, info: StoredProcessor): Promise<boolean> {
  try {
    await s.create(p.processor(processorId), encodeJson(info), CreateMode.EPHEMERAL);
    return true;
  } catch (err) {
    if (isZkError(err, Exception.NODE_EXISTS)) return false;
    throw err;
  }
}

export async function deregisterProcessor(s: ZkSession, p: JobPaths, processorId: string): Promise<void> {
  await s.remove(p.processor(processorId), ANY).catch((err) => {
    if (!isZkError(err, Exception.NO_NODE)) throw err;
  });
}

/**
 * Marks the job complete for its first `batchCount` batches. Only ever raises
 * the count (a processor with an older plan cannot lower it); a later extend
 * makes the job incomplete again until the new batches are closed.
 */
export async function markJobComplete(s: ZkSession, p: JobPaths, batchCount: number): Promise<void> {
  const data = encodeJson({ batchCount });
  try {
    await s.create(p.complete, data, CreateMode.PERSISTENT);
  } catch (err) {
    if (!isZkError(err, Exception.NODE_EXISTS)) throw err;
    const { data: old, stat } = await s.getData(p.complete);
    if ((JSON.parse(old.toString()) as { batchCount: number }).batchCount >= batchCount) return;
    await s.setData(p.complete, data, stat.version).catch((e) => {
      if (!isZkError(e, Exception.BAD_VERSION)) throw e; // raised concurrently by another processor
    });
  }
}

function closedBatch(batch: Batch, state: 'done' | 'quarantined'): StoredBatch {
  return { first: batch.first, last: batch.last, count: batch.count, state };
}
