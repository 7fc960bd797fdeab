/**
 * A job's life after its work: how big it is in ZooKeeper, and deleting it.
 *
 * Deleting is bottom-up (ZooKeeper deletes only leaves) and must not race a
 * processor into resurrecting the job:
 *   1. a `deleted` tombstone is created under the job node: openJob refuses a
 *      job that has one (JobDeletedError), so no processor joins or plans it
 *      while it is being taken apart;
 *   2. the plan node goes first: a running processor's next round finds no plan
 *      and stops (JobNotFoundError); its claims and commits meet NO_NODE;
 *   3. every other node goes, leaves first; a node created meanwhile by a late
 *      write (an event, `complete`) makes its parent's delete fail NOT_EMPTY,
 *      and that subtree is listed and deleted again;
 *   4. the tombstone and the job node go last, in one multi.
 * Each step is idempotent, so a delete that was interrupted is finished by the
 * next one. After step 4 the id is free: a new invocation on the same mailbox
 * and model plans a new job.
 */
import zookeeper, { type Stat } from 'node-zookeeper-client';
import { isZkError, JobDeletedError, JobNotFoundError, JobRunningError, type ZkOperationError } from './errors.js';
import { isClaimName, JobPaths, jobsDir } from './paths.js';
import { decodeJson, statCtime, statMs, type StoredBatch, type StoredPlan } from './records.js';
import type { ZkSession } from './session.js';
import type { JobSpec } from './types.js';

const { Exception, CreateMode } = zookeeper;
/** Requests in flight while walking or deleting a job. */
const IN_FLIGHT = 64;

export type JobState = 'planning' | 'running' | 'stopped' | 'complete' | 'deleting';

export interface JobFootprint {
  jobId: string;
  spec: JobSpec;
  state: JobState;
  batchCount: number;
  /** Messages the plan counted (sum of batch counts). */
  messages: number;
  /** Znodes under the job, the job node included. */
  znodes: number;
  /** Sum of the data lengths of those znodes (stat.dataLength). */
  bytes: number;
  /** Live processors registered, and claims held on open batches. */
  processors: number;
  claims: number;
  /** Server time the job node was created. */
  createdAt: number;
  /** Server time of the job's last planning or completion (the plan's or `complete`'s last write). */
  lastActivityAt: number;
}

export function tombstonePath(p: JobPaths): string {
  return `${p.job}/deleted`;
}

/**
 * What a processor makes of an error: a NO_NODE (or JobNotFoundError) met
 * while the job's plan is gone means the job was deleted under it: stop with
 * JobDeletedError, never recreate anything. Other errors are returned as they are.
 */
export async function explainMissingJob(s: ZkSession, p: JobPaths, err: unknown): Promise<unknown> {
  const missing = err instanceof JobNotFoundError || (isZkError(err, Exception.NO_NODE) && (err as ZkOperationError).path.startsWith(`${p.job}/`));
  if (!missing) return err;
  const [plan, tomb] = await Promise.all([s.exists(p.plan).catch(() => 'unknown' as const), s.exists(tombstonePath(p)).catch(() => undefined)]);
  return plan === undefined || tomb ? new JobDeletedError(p.jobId, tomb ? tombstonePath(p) : p.plan) : err;
}

/** Throws JobDeletedError if the job carries a tombstone. */
export async function assertNotDeleted(s: ZkSession, p: JobPaths): Promise<void> {
  if (await s.exists(tombstonePath(p))) throw new JobDeletedError(p.jobId, tombstonePath(p));
}

interface WalkedNode {
  path: string;
  depth: number;
  stat: Stat;
  data?: Buffer;
}

/**
 * Every znode of a subtree with its stat, parents before children. Only
 * nodes whose stat says they have children are listed, and batch nodes are
 * read (getData) for their key counts; every other node costs one exists.
 */
async function walk(s: ZkSession, top: string, readData: (path: string, depth: number) => boolean): Promise<WalkedNode[]> {
  const out: WalkedNode[] = [];
  let level: { path: string; depth: number }[] = [{ path: top, depth: 0 }];
  while (level.length > 0) {
    const next: { path: string; depth: number }[] = [];
    for (let i = 0; i < level.length; i += IN_FLIGHT) {
      const got = await Promise.all(level.slice(i, i + IN_FLIGHT).map((n) => statOf(s, n.path, readData(n.path, n.depth)).then((r) => (r ? { ...n, ...r } : undefined))));
      const present = got.filter((n): n is WalkedNode => n !== undefined);
      out.push(...present);
      const parents = present.filter((n) => n.stat.numChildren > 0);
      const children = await Promise.all(parents.map((n) => s.getChildren(n.path).catch(ignoreNoNode)));
      parents.forEach((n, j) => {
        for (const name of children[j] ?? []) next.push({ path: `${n.path}/${name}`, depth: n.depth + 1 });
      });
    }
    level = next;
  }
  return out;
}

async function statOf(s: ZkSession, path: string, withData: boolean): Promise<{ stat: Stat; data?: Buffer } | undefined> {
  if (withData) return s.getData(path).catch(ignoreNoNode);
  const stat = await s.exists(path);
  return stat ? { stat } : undefined;
}

function ignoreNoNode(err: unknown): undefined {
  if (isZkError(err, Exception.NO_NODE)) return undefined;
  throw err;
}

/** The footprint of one job: a walk of its whole subtree (one request per znode, pipelined). Undefined if it does not exist. */
export async function readJobFootprint(s: ZkSession, root: string, jobId: string): Promise<JobFootprint | undefined> {
  const p = new JobPaths(root, jobId);
  const batchesPrefix = `${p.batches}/`;
  const nodes = await walk(s, p.job, (path, depth) => depth <= 1 || (depth === 2 && path.startsWith(batchesPrefix)));
  const byPath = new Map(nodes.map((n) => [n.path, n]));
  const job = byPath.get(p.job);
  if (!job?.data) return undefined;
  let bytes = 0;
  let messages = 0;
  let claims = 0;
  for (const n of nodes) {
    bytes += n.stat.dataLength;
    if (n.depth === 2 && n.path.startsWith(batchesPrefix) && n.data) messages += decodeJson<StoredBatch>(n.data, n.path).count;
    if (n.depth === 3 && n.path.startsWith(batchesPrefix) && isClaimName(n.path.slice(n.path.lastIndexOf('/') + 1))) claims++;
  }
  const plan = byPath.get(p.plan);
  const complete = byPath.get(p.complete);
  const stored = plan?.data ? decodeJson<StoredPlan>(plan.data, p.plan) : { batchCount: 0, ready: false };
  const completeCount = complete?.data ? decodeJson<{ batchCount: number }>(complete.data, p.complete).batchCount : -1;
  const processors = byPath.get(p.processorsDir)?.stat.numChildren ?? 0;
  const state: JobState = byPath.has(tombstonePath(p))
    ? 'deleting'
    : !stored.ready
      ? 'planning'
      : completeCount >= stored.batchCount
        ? 'complete'
        : processors > 0 || claims > 0
          ? 'running'
          : 'stopped';
  const activity = [job, plan, complete].filter((n): n is WalkedNode => n !== undefined).map((n) => statMs(n.stat.mtime));
  return {
    jobId,
    spec: decodeJson<JobSpec>(job.data, p.job),
    state,
    batchCount: stored.batchCount,
    messages,
    znodes: nodes.length,
    bytes,
    processors,
    claims,
    createdAt: statCtime(job.stat),
    lastActivityAt: activity.reduce((a, b) => (b > a ? b : a), 0),
  };
}

/** Every job under the root, by id. */
export async function readJobFootprints(s: ZkSession, root: string): Promise<JobFootprint[]> {
  const ids = (await s.getChildren(jobsDir(root)).catch(ignoreNoNode)) ?? [];
  const out: JobFootprint[] = [];
  for (const id of ids.sort()) {
    const f = await readJobFootprint(s, root, id);
    if (f) out.push(f);
  }
  return out;
}

export interface DeleteOutcome {
  /** False if there was no such job (already deleted). */
  existed: boolean;
  /** Znodes deleted by this call. */
  deleted: number;
}

/** Deletes a job and everything under it (see the header). Refuses a running job unless `force`. Idempotent. */
export async function deleteJob(s: ZkSession, root: string, jobId: string, options: { force?: boolean } = {}): Promise<DeleteOutcome> {
  const p = new JobPaths(root, jobId);
  const footprint = await readJobFootprint(s, root, jobId);
  if (!footprint) return { existed: false, deleted: 0 };
  if (!options.force && footprint.state !== 'deleting' && (footprint.processors > 0 || footprint.claims > 0)) {
    throw new JobRunningError(jobId, footprint.processors, footprint.claims);
  }
  await s.create(tombstonePath(p), Buffer.alloc(0), CreateMode.PERSISTENT).catch((err) => {
    if (!isZkError(err, Exception.NODE_EXISTS)) throw err;
  });
  let deleted = 0;
  deleted += await removeLeaf(s, p.plan); // running processors stop at their next round
  for (;;) {
    const children = (await s.getChildren(p.job).catch(ignoreNoNode)) ?? [];
    for (const name of children) {
      const path = `${p.job}/${name}`;
      if (path !== tombstonePath(p)) deleted += await deleteSubtree(s, path);
    }
    try {
      await s.multi(`delete job ${jobId}`, (tx) => {
        tx.remove(tombstonePath(p), -1);
        tx.remove(p.job, -1);
      });
      return { existed: true, deleted: deleted + 2 };
    } catch (err) {
      if (isZkError(err, Exception.NO_NODE)) return { existed: true, deleted };
      if (!isZkError(err, Exception.NOT_EMPTY)) throw err; // a late write under the job node: go again
    }
  }
}

/** Deletes a subtree leaves first; a parent that gained a child meanwhile is walked again. */
async function deleteSubtree(s: ZkSession, top: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const nodes = await walk(s, top, () => false);
    if (nodes.length === 0) return deleted;
    const deepest = nodes.reduce((d, n) => (n.depth > d ? n.depth : d), 0);
    let retry = false;
    for (let depth = deepest; depth >= 0 && !retry; depth--) {
      const level = nodes.filter((n) => n.depth === depth);
      for (let i = 0; i < level.length; i += IN_FLIGHT) {
        const got = await Promise.all(level.slice(i, i + IN_FLIGHT).map((n) => removeLeaf(s, n.path).catch(notEmpty)));
        for (const r of got) (r === 'not-empty' ? (retry = true) : (deleted += r));
      }
    }
    if (!retry) return deleted;
  }
}

/** 1 if deleted, 0 if already gone. */
async function removeLeaf(s: ZkSession, path: string): Promise<number> {
  try {
    await s.remove(path, -1);
    return 1;
  } catch (err) {
    if (isZkError(err, Exception.NO_NODE)) return 0;
    throw err;
  }
}

function notEmpty(err: unknown): 'not-empty' {
  if (isZkError(err, Exception.NOT_EMPTY)) return 'not-empty';
  throw err;
}
