/**
 * The open frontier of a job, and the checkpoint that folds its closed past.
 *
 * A round used to list all of `done/` and `quarantine/` to find the open
 * batches: its cost grew with the job's history (a `--every 1m` job gains
 * ~500k batches a year, and a `done/` listing passes a Java client's 1 MB
 * jute.maxbuffer at ~75k children). Now:
 *
 *  - `<job>/checkpoint` holds `{ closedBelow, committed, quarantined, messages }`:
 *    every batch below `closedBelow` is closed (done or quarantined), and the
 *    counts are over those batches. It only ever rises, by a versioned setData.
 *  - A round reads the plan, the checkpoint, and the batch nodes from
 *    `closedBelow` to the plan's end (the frontier): nothing below it.
 *  - When the closed prefix of the frontier is FOLD_MIN batches or more (or
 *    reaches the end of a ready plan), the round folds it into the checkpoint.
 *
 * Why no batch is skipped: a batch is closed only by the commit or quarantine
 * multi, which sets its `state`, and nothing ever reopens it (a batch node is
 * only deleted with its whole job). So "every batch below N is closed", once
 * true, stays true; the folder saw each batch below N closed, and the
 * versioned write cannot lower `closedBelow` (it writes only a higher value
 * over the version it read). Why none is committed twice: unchanged, the
 * fenced commit is conditional on the batch version read while the batch was
 * open, and closing bumps it; folding writes nothing to batch nodes.
 * Done markers stay where they are: the report reads them by index.
 */
import zookeeper from 'node-zookeeper-client';
import { isZkError } from './errors.js';
import type { JobPaths } from './paths.js';
import { readPlan } from './planner.js';
import { decodeJson, encodeJson, type StoredBatch } from './records.js';
import type { ZkSession } from './session.js';
import type { PlanInfo } from './types.js';

const { Exception, CreateMode } = zookeeper;
/** Requests in flight while reading the frontier. */
const IN_FLIGHT = 64;
/** Fold once the closed prefix is this long (or reaches the end of a ready plan): one write per this many batches. */
export const FOLD_MIN = 64;

export interface Checkpoint {
  /** Every batch below this index is closed. */
  closedBelow: number;
  /** Of those: committed and quarantined batches, and the messages the plan counted in them. */
  committed: number;
  quarantined: number;
  messages: number;
}

export const EMPTY_CHECKPOINT: Checkpoint = { closedBelow: 0, committed: 0, quarantined: 0, messages: 0 };

export function checkpointPath(p: JobPaths): string {
  return `${p.job}/checkpoint`;
}

/** The checkpoint and its znode version (-1: not written yet). */
export async function readCheckpoint(s: ZkSession, p: JobPaths): Promise<{ checkpoint: Checkpoint; version: number }> {
  try {
    const { data, stat } = await s.getData(checkpointPath(p));
    return { checkpoint: decodeJson<Checkpoint>(data, checkpointPath(p)), version: stat.version };
  } catch (err) {
    if (isZkError(err, Exception.NO_NODE)) return { checkpoint: EMPTY_CHECKPOINT, version: -1 };
    throw err;
  }
}

export interface FrontierBatch {
  index: number;
  /** Undefined while open. */
  state: StoredBatch['state'];
  count: number;
}

export interface Frontier {
  plan: PlanInfo;
  checkpoint: Checkpoint;
  checkpointVersion: number;
  /** Batch nodes from checkpoint.closedBelow to the plan's end, in order. */
  batches: FrontierBatch[];
}

/**
 * What a round needs: the plan, the checkpoint and the frontier's batch nodes
 * (none below closedBelow). `closedSeen` is the caller's memory of frontier
 * batches already seen closed: a closed batch never reopens, so it is not read
 * again (a fresh 10,000-batch plan would otherwise cost every round 10,000
 * reads until its prefix folds). Entries below closedBelow are dropped from
 * it, so it holds at most the frontier.
 */
export async function readFrontier(s: ZkSession, p: JobPaths, closedSeen: Map<number, FrontierBatch> = new Map()): Promise<Frontier> {
  const [plan, { checkpoint, version }] = await Promise.all([readPlan(s, p), readCheckpoint(s, p)]);
  for (const b of closedSeen.keys()) if (b < checkpoint.closedBelow) closedSeen.delete(b);
  const unknown: number[] = [];
  for (let b = checkpoint.closedBelow; b < plan.batchCount; b++) if (!closedSeen.has(b)) unknown.push(b);
  const read = new Map<number, FrontierBatch>();
  for (let i = 0; i < unknown.length; i += IN_FLIGHT) {
    const got = await Promise.all(
      unknown.slice(i, i + IN_FLIGHT).map(async (b) => {
        const { data } = await s.getData(p.batch(b));
        const stored = decodeJson<StoredBatch>(data, p.batch(b));
        return { index: b, state: stored.state, count: stored.count };
      }),
    );
    for (const g of got) {
      read.set(g.index, g);
      if (g.state !== undefined) closedSeen.set(g.index, g);
    }
  }
  const batches: FrontierBatch[] = [];
  for (let b = checkpoint.closedBelow; b < plan.batchCount; b++) batches.push(closedSeen.get(b) ?? read.get(b)!);
  return { plan, checkpoint, checkpointVersion: version, batches };
}

/** The checkpoint after folding the frontier's closed prefix, or undefined if there is not enough to fold. */
export function foldedCheckpoint(f: Frontier, foldMin = FOLD_MIN): Checkpoint | undefined {
  const next = { ...f.checkpoint };
  for (const b of f.batches) {
    if (b.state === undefined) break;
    next.closedBelow = b.index + 1;
    if (b.state === 'done') next.committed++;
    else next.quarantined++;
    next.messages += b.count;
  }
  const folded = next.closedBelow - f.checkpoint.closedBelow;
  const reachesEnd = f.plan.ready && next.closedBelow === f.plan.batchCount;
  return folded > 0 && (folded >= foldMin || reachesEnd) ? next : undefined;
}

/**
 * Writes the folded checkpoint if nobody moved it since we read it (versioned
 * setData, outside any multi: version 0 is honoured there). True if written.
 */
export async function foldCheckpointIfUnchanged(s: ZkSession, p: JobPaths, next: Checkpoint, readVersion: number): Promise<boolean> {
  try {
    if (readVersion < 0) await s.create(checkpointPath(p), encodeJson(next), CreateMode.PERSISTENT);
    else await s.setData(checkpointPath(p), encodeJson(next), readVersion);
    return true;
  } catch (err) {
    if (isZkError(err, Exception.BAD_VERSION) || isZkError(err, Exception.NODE_EXISTS)) return false; // folded by another
    throw err;
  }
}

/** The plan's size and its last key: what a cadence pass needs to plan new mail (two reads, whatever the history). */
export async function readPlanTail(s: ZkSession, p: JobPaths): Promise<{ batchCount: number; lastKey: number }> {
  const plan = await readPlan(s, p);
  if (plan.batchCount === 0) return { batchCount: 0, lastKey: 0 };
  const { data } = await s.getData(p.batch(plan.batchCount - 1));
  return { batchCount: plan.batchCount, lastKey: decodeJson<StoredBatch>(data, p.batch(plan.batchCount - 1)).last };
}
