/**
 * Every state change of the protocol, one named function each. The name says
 * what ZooKeeper guarantees when it succeeds; nothing else in the library
 * writes to ZooKeeper.
 *
 * The node-zookeeper-client bug (version 0 inside a transaction is sent as -1)
 * is handled as follows:
 *  - the owner's fences check its claim with version -1 on purpose: a claim
 *    name is unique (sequential) and only its owner writes it, so the node's
 *    existence proves it was neither reclaimed nor expired;
 *  - a claim's version only matters to a reclaimer's compare-and-delete; an
 *    owned claim has version ≥ 1 (takeOwnership writes it), and a version-0
 *    claim is reclaimed with a plain delete, where 0 means 0;
 *  - the plan node is created and rewritten in the same multi, so its version
 *    is ≥ 1 before anyone can compare against it.
 */
import zookeeper from 'node-zookeeper-client';
import { CoordinationError, isZkError } from './errors.js';
import { batchName, type JobPaths } from './paths.js';
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
 * holds only if the plan is still at `planVersion` (≥ 1): two concurrent
 * extenders can never both number batches from the same count.
 */
export async function appendBatchesIfPlanUnchanged(
  s: ZkSession,
  p: JobPaths,
  planVersion: number,
  batches: Batch[],
  plan: StoredPlan,
): Promise<number> {
  if (planVersion < 1) throw new CoordinationError('PLAN_VERSION', `plan of job ${p.jobId} has version 0; refusing an unversioned append`);
  const results = await s.multi(`append ${batches.length} batches to ${p.jobId}`, (tx) => {
    tx.setData(p.plan, encodeJson(plan), planVersion);
    for (const b of batches) {
      const stored: StoredBatch = { first: b.first, last: b.last, count: b.count };
      tx.create(p.batch(b.index), encodeJson(stored), s.acl, CreateMode.PERSISTENT);
    }
  });
  return results[0]?.stat?.version ?? planVersion + 1;
}

/** Declares the initial plan complete: only if the plan is still the one we wrote (plain setData, so any version is honoured). */
export async function markPlanReadyIfUnchanged(s: ZkSession, p: JobPaths, planVersion: number, batchCount: number): Promise<void> {
  const plan: StoredPlan = { batchCount, ready: true };
  await s.setData(p.plan, encodeJson(plan), planVersion);
}

/** Creates a claim: EPHEMERAL_SEQUENTIAL, named after its processor and a nonce. Returns its node name. */
export async function createClaim(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  nonce: string,
  data: ClaimData,
): Promise<string> {
  const path = await s.create(p.claimPrefix(batch, data.processorId, nonce), encodeJson(data), CreateMode.EPHEMERAL_SEQUENTIAL);
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Withdraws a claim that lost the race (or that we no longer want); a missing claim is fine. */
export async function withdrawClaim(s: ZkSession, p: JobPaths, batch: number, claimName: string): Promise<void> {
  await s.remove(p.claim(batch, claimName), ANY).catch((err) => {
    if (!isZkError(err, Exception.NO_NODE)) throw err;
  });
}

/**
 * Starts attempt `attempt` as owner: our claim still exists and no one else
 * started that attempt number (the attempt node is created once). Returns the
 * claim's new version (≥ 1) and ZooKeeper's ctime of the claim.
 */
export async function takeOwnership(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  claimName: string,
  data: ClaimData,
  attempt: StoredAttempt,
): Promise<{ version: number; claimedAt: number }> {
  const results = await s.multi(`take ownership of batch ${batch}`, (tx) => {
    tx.setData(p.claim(batch, claimName), encodeJson(data), ANY);
    tx.create(p.attempt(batch, data.attempt), encodeJson(attempt), s.acl, CreateMode.PERSISTENT);
  });
  const stat = results[0]?.stat;
  return { version: stat?.version ?? 1, claimedAt: stat ? Number(stat.ctime.readBigInt64BE(0)) : Date.now() };
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
 * stands, and only once (the marker is a persistent create). The claim and
 * the batch's attempt nodes are removed in the same transaction.
 */
export async function commitBatchIfClaimStands(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  claimName: string,
  header: DoneHeader,
  result: Buffer,
  attemptNodes: string[],
): Promise<MultiResult[]> {
  return s.multi(`commit batch ${batch}`, (tx) => {
    tx.check(p.claim(batch, claimName), ANY);
    tx.create(p.done(batch), encodeDone(header, result), s.acl, CreateMode.PERSISTENT);
    tx.remove(p.claim(batch, claimName), ANY);
    for (const a of attemptNodes) tx.remove(`${p.batch(batch)}/${a}`, ANY);
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

/** Moves a poison batch to quarantine, once, and only while our claim stands; it is then closed. */
export async function quarantineBatchIfClaimStands(
  s: ZkSession,
  p: JobPaths,
  batch: number,
  claimName: string,
  record: StoredQuarantine,
  attemptNodes: string[],
): Promise<void> {
  await s.multi(`quarantine batch ${batch}`, (tx) => {
    tx.check(p.claim(batch, claimName), ANY);
    tx.create(p.quarantine(batch), encodeJson(record), s.acl, CreateMode.PERSISTENT);
    tx.remove(p.claim(batch, claimName), ANY);
    for (const a of attemptNodes) tx.remove(`${p.batch(batch)}/${a}`, ANY);
  });
}

/**
 * Reclaims a stale claim: deletes it only if its version is still the one we
 * watched go stale (any heartbeat in between makes this fail), and records
 * the event (and the reason on the attempt) in the same transaction.
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
  const claimPath = p.claim(batch, claimName);
  if (observedVersion < 1) {
    // Version 0 would be sent as "any" inside a multi: use a plain delete.
    await s.remove(claimPath, observedVersion);
    await recordEvent(s, p, event);
    return;
  }
  await s.multi(`reclaim batch ${batch}`, (tx) => {
    tx.remove(claimPath, observedVersion);
    if (attempt > 0) {
      const failed: StoredAttempt = { processorId: event.otherProcessorId ?? '', claimSeq: event.claimSeq, error: event.detail };
      tx.setData(p.attempt(batch, attempt), encodeJson(failed), ANY);
    }
    tx.create(p.eventPrefix(), encodeJson(event), s.acl, CreateMode.PERSISTENT_SEQUENTIAL);
  });
}

/** Appends a small persistent event record (reclaims, fenced commits). */
export async function recordEvent(s: ZkSession, p: JobPaths, event: StoredEvent): Promise<void> {
  await s.create(p.eventPrefix(), encodeJson(event), CreateMode.PERSISTENT_SEQUENTIAL);
}

/** Registers a live processor (EPHEMERAL). A leftover node of our own previous session is replaced. */
export async function registerProcessor(s: ZkSession, p: JobPaths, processorId: string, info: StoredProcessor): Promise<void> {
  try {
    await s.create(p.processor(processorId), encodeJson(info), CreateMode.EPHEMERAL);
  } catch (err) {
    if (!isZkError(err, Exception.NODE_EXISTS)) throw err;
    await s.remove(p.processor(processorId), ANY).catch(() => undefined);
    await s.create(p.processor(processorId), encodeJson(info), CreateMode.EPHEMERAL);
  }
}

export async function deregisterProcessor(s: ZkSession, p: JobPaths, processorId: string): Promise<void> {
  await s.remove(p.processor(processorId), ANY).catch((err) => {
    if (!isZkError(err, Exception.NO_NODE)) throw err;
  });
}

/** Marks the job complete for its first `batchCount` batches (idempotent; a later extend makes it incomplete again). */
export async function markJobComplete(s: ZkSession, p: JobPaths, batchCount: number): Promise<void> {
  const data = encodeJson({ batchCount });
  try {
    await s.create(p.complete, data, CreateMode.PERSISTENT);
  } catch (err) {
    if (!isZkError(err, Exception.NODE_EXISTS)) throw err;
    await s.setData(p.complete, data, ANY);
  }
}

export { batchName };
