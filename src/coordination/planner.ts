/**
 * Planning and extending a job. Exactly one processor plans a job: the one
 * whose atomic create of the job node succeeds (it also takes an ephemeral
 * planning lock). The others wait until the plan is ready. If the planner dies
 * mid-plan, its lock vanishes with its session and a waiting processor takes
 * over: it keeps the batches already written and plans only the keys after
 * the last of them.
 */
import zookeeper from 'node-zookeeper-client';
import { isZkError, JobNotFoundError, JobSpecMismatchError, PlanConflictError } from './errors.js';
import { assertNotDeleted } from './lifecycle.js';
import { JobPaths } from './paths.js';
import { decodeJson, type StoredBatch, type StoredPlan } from './records.js';
import type { ZkSession } from './session.js';
import {
  appendBatchesIfPlanUnchanged,
  createJobWithPlanningLock,
  markPlanReadyIfUnchanged,
  releasePlanningLock,
  takePlanningLock,
} from './transactions.js';
import type { Batch, JobSpec, PlanInfo } from './types.js';

/** Batches per plan transaction: keeps each multi well under ZooKeeper's 1 MB request limit. */
const APPEND_CHUNK = 1_000;

/**
 * Where a plan starts: its batches are numbered from `firstIndex` and hold
 * only keys above `afterKey`. A fresh plan starts at 0 with every key
 * (`afterKey` undefined); an heir of a planner that died starts after the last
 * batch written.
 */
export interface PlanFrom {
  firstIndex: number;
  afterKey: number | undefined;
}

export type BatchPlanner = (from: PlanFrom) => Batch[] | Promise<Batch[]>;

export interface OpenJobOptions {
  /** Batches per append multi (default 1,000; smaller only to test a planner dying between appends). */
  appendChunk?: number;
}

export interface OpenJobResult {
  plan: PlanInfo;
  /** The job's spec as stored (with the settings it was created with, if any). */
  spec: JobSpec;
  /** True if this caller wrote (or finished writing) the plan. */
  planned: boolean;
}

/**
 * Opens a job, planning it if it does not exist yet. `planBatches` is called
 * only by the one processor that plans; without it the job must exist and this
 * only waits for its plan. Throws JobSpecMismatchError if the job exists with
 * another spec, JobNotFoundError if it does not exist and there is no planner.
 */
export async function openJob(
  s: ZkSession,
  root: string,
  spec: JobSpec,
  planBatches: BatchPlanner | undefined,
  signal?: AbortSignal,
  options: OpenJobOptions = {},
): Promise<OpenJobResult> {
  const p = new JobPaths(root, spec.jobId);
  const appendChunk = options.appendChunk ?? APPEND_CHUNK;
  if (planBatches) {
    await s.mkdirp(p.job.slice(0, p.job.lastIndexOf('/')));
    if (await createJobWithPlanningLock(s, p, spec)) {
      await writePlan(s, p, planBatches, appendChunk);
      return { plan: await readPlan(s, p), spec, planned: true };
    }
  }
  // Without a planner, the job must exist (JobNotFoundError otherwise) and we only wait for its plan.
  const stored = await assertSameSpec(s, p, spec);
  await assertNotDeleted(s, p); // a job being deleted is never joined, nor planned again (lifecycle.ts)
  let planned = false;
  for (;;) {
    signal?.throwIfAborted();
    const plan = await readPlan(s, p);
    if (plan.ready) return { plan, spec: stored, planned };
    if (planBatches && (await takePlanningLock(s, p))) {
      planned = (await writePlan(s, p, planBatches, appendChunk)) || planned;
      continue;
    }
    await waitForPlanChange(s, p, signal);
  }
}

/**
 * Adds batches to a planned job (new keys arrived). `batches` must be numbered
 * from the current batch count on. Atomic per 1,000 batches and safe against
 * a concurrent extend: the plan's version must be unchanged, else
 * PlanConflictError (re-read the plan and renumber).
 */
export async function extendJob(s: ZkSession, root: string, jobId: string, batches: Batch[]): Promise<PlanInfo> {
  const p = new JobPaths(root, jobId);
  let plan = await readPlan(s, p);
  if (!plan.ready) throw new PlanConflictError(`job ${jobId} is still being planned; extend it once its plan is ready`);
  validateBatches(batches, plan.batchCount);
  for (let i = 0; i < batches.length; i += APPEND_CHUNK) {
    const chunk = batches.slice(i, i + APPEND_CHUNK);
    const next: StoredPlan = { batchCount: plan.batchCount + chunk.length, ready: true };
    try {
      const version = await appendBatchesIfPlanUnchanged(s, p, plan.version, chunk, next);
      plan = { ...next, version };
    } catch (err) {
      if (isZkError(err, zookeeper.Exception.BAD_VERSION) || isZkError(err, zookeeper.Exception.NODE_EXISTS)) {
        const now = await readPlan(s, p);
        throw new PlanConflictError(
          `job ${jobId} was extended concurrently: plan now has ${now.batchCount} batches (${i} of ours appended); renumber the rest from ${now.batchCount}`,
        );
      }
      throw err;
    }
  }
  return plan;
}

export async function readPlan(s: ZkSession, p: JobPaths): Promise<PlanInfo> {
  try {
    const { data, stat } = await s.getData(p.plan);
    return { ...decodeJson<StoredPlan>(data, p.plan), version: stat.version };
  } catch (err) {
    if (isZkError(err, zookeeper.Exception.NO_NODE)) throw new JobNotFoundError(p.jobId, p.plan);
    throw err;
  }
}

export async function readSpec(s: ZkSession, p: JobPaths): Promise<JobSpec> {
  try {
    const { data } = await s.getData(p.job);
    return decodeJson<JobSpec>(data, p.job);
  } catch (err) {
    if (isZkError(err, zookeeper.Exception.NO_NODE)) throw new JobNotFoundError(p.jobId, p.job);
    throw err;
  }
}

/** The stored spec, if it makes the same job as `wanted` (settings may differ: the stored ones win). */
async function assertSameSpec(s: ZkSession, p: JobPaths, wanted: JobSpec): Promise<JobSpec> {
  const existing = await readSpec(s, p);
  for (const field of ['sourceId', 'modelId', 'batchSize'] as const) {
    if (existing[field] !== wanted[field]) throw new JobSpecMismatchError(p.jobId, field, existing[field], wanted[field]);
  }
  const a = existing.metadata ?? {};
  const b = wanted.metadata ?? {};
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[key] !== b[key]) throw new JobSpecMismatchError(p.jobId, `metadata.${key}`, a[key], b[key]);
  }
  return existing;
}

/**
 * Writes the plan under our planning lock. After a planner that died, the
 * batches it wrote stay as they are and only keys after the last of them are
 * planned: recomputing the whole plan could not match the written prefix if
 * a key in it was removed meanwhile, and every heir would fail (issue 12).
 * Returns false (planning nothing) if the plan became ready between our read
 * and our lock: the previous planner released its lock just after finishing.
 */
async function writePlan(s: ZkSession, p: JobPaths, planBatches: BatchPlanner, appendChunk: number): Promise<boolean> {
  let plan = await readPlan(s, p);
  if (plan.ready) {
    await releasePlanningLock(s, p);
    return false;
  }
  const from = await resumePoint(s, p, plan.batchCount);
  const batches = await planBatches(from);
  validateBatches(batches, from.firstIndex);
  assertAfter(p, batches, from);
  for (let i = 0; i < batches.length; i += appendChunk) {
    const chunk = batches.slice(i, i + appendChunk);
    const next: StoredPlan = { batchCount: from.firstIndex + i + chunk.length, ready: false };
    const version = await appendBatchesIfPlanUnchanged(s, p, plan.version, chunk, next);
    plan = { ...next, version };
  }
  await markPlanReadyIfUnchanged(s, p, plan.version, from.firstIndex + batches.length);
  await releasePlanningLock(s, p);
  return true;
}

/** Where planning continues: after the last batch already written, if any. */
async function resumePoint(s: ZkSession, p: JobPaths, written: number): Promise<PlanFrom> {
  if (written === 0) return { firstIndex: 0, afterKey: undefined };
  const { data } = await s.getData(p.batch(written - 1));
  return { firstIndex: written, afterKey: decodeJson<StoredBatch>(data, p.batch(written - 1)).last };
}

/** Batches of an heir must hold only keys after the written ones, or key ranges would overlap. */
function assertAfter(p: JobPaths, batches: Batch[], from: PlanFrom): void {
  const afterKey = from.afterKey;
  if (afterKey === undefined) return;
  const overlapping = batches.find((b) => b.first <= afterKey);
  if (overlapping) {
    throw new PlanConflictError(
      `job ${p.jobId}: planning resumes after key ${afterKey} (batch ${from.firstIndex - 1} is written) but the planner returned ${JSON.stringify(overlapping)}; a planner must plan only keys after from.afterKey`,
    );
  }
}

function validateBatches(batches: Batch[], firstIndex: number): void {
  batches.forEach((b, i) => {
    const ok = b.index === firstIndex + i && Number.isInteger(b.first) && Number.isInteger(b.last) && b.first <= b.last && b.count >= 0;
    if (!ok) {
      throw new PlanConflictError(
        `batch at position ${i} is ${JSON.stringify(b)}: batches must be numbered ${firstIndex}, ${firstIndex + 1}, ... with integer first ≤ last and count ≥ 0`,
      );
    }
  });
}

/** Waits until the plan or the planning lock changes (one-shot watches), or a session-timeout passes. */
async function waitForPlanChange(s: ZkSession, p: JobPaths, signal?: AbortSignal): Promise<void> {
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, s.sessionTimeoutMs);
    signal?.addEventListener('abort', finish, { once: true });
    s.exists(p.planningLock, finish).then((stat) => stat ?? finish(), finish);
    s.getData(p.plan, finish).catch(finish);
  });
}
