/**
 * Read-only views of jobs, usable from any machine with a session (and the
 * fleet credentials when ACLs are on). Reads are pipelined in chunks so that a
 * 10,000-batch job is read in well under a second.
 */
import zookeeper from 'node-zookeeper-client';
import { isZkError, JobNotFoundError } from './errors.js';
import { JobPaths, jobsDir, parseBatchName, parseClaimName, sortClaims } from './paths.js';
import { readFrontier } from './frontier.js';
import { readPlan, readSpec } from './planner.js';
import { decodeDone, decodeJson, statCtime, type StoredBatch, type StoredEvent, type StoredProcessor, type StoredQuarantine } from './records.js';
import type { ZkSession } from './session.js';
import type { Batch, Claim, ClaimData, CoordinationEventRecord, DoneMarker, JobSpec, JobStatus, LiveProcessor, QuarantineRecord } from './types.js';

/** Requests in flight; a done marker can be up to MAX_RESULT_BYTES (1 MB), so this also bounds memory. */
const CHUNK = 64;

export interface JobListing {
  jobId: string;
  spec: JobSpec;
  batchCount: number;
  ready: boolean;
  complete: boolean;
}

export async function listJobs(s: ZkSession, root: string): Promise<JobListing[]> {
  let ids: string[];
  try {
    ids = await s.getChildren(jobsDir(root));
  } catch (err) {
    if (isZkError(err, zookeeper.Exception.NO_NODE)) return [];
    throw err;
  }
  const out: JobListing[] = [];
  for (const jobId of ids.sort()) {
    const p = new JobPaths(root, jobId);
    // A job being deleted (its plan already gone) is not listed.
    const read = await Promise.all([readSpec(s, p), readPlan(s, p), readCompleteCount(s, p)]).catch((err) => {
      if (err instanceof JobNotFoundError) return undefined;
      throw err;
    });
    if (!read) continue;
    const [spec, plan, complete] = read;
    out.push({ jobId, spec, batchCount: plan.batchCount, ready: plan.ready, complete: plan.ready && complete >= plan.batchCount });
  }
  return out;
}

export async function readJobStatus(s: ZkSession, root: string, jobId: string): Promise<JobStatus> {
  const p = new JobPaths(root, jobId);
  // The frontier, not a listing of done/: the cost is the open part of the job, not its history (frontier.ts).
  const [spec, frontier, processorNames, events] = await Promise.all([
    readSpec(s, p),
    readFrontier(s, p),
    s.getChildren(p.processorsDir),
    readEvents(s, root, jobId),
  ]);
  const plan = frontier.plan;
  const open = frontier.batches.filter((b) => b.state === undefined).map((b) => b.index);
  const doneCount = frontier.checkpoint.committed + frontier.batches.filter((b) => b.state === 'done').length;
  const quarantinedCount = frontier.checkpoint.quarantined + frontier.batches.filter((b) => b.state === 'quarantined').length;
  const holders = new Map<string, number[]>();
  const owners = await inChunks(open, async (b) => sortClaims(await s.getChildren(p.batch(b)).catch(() => []))[0]);
  let claimed = 0;
  owners.forEach((name, i) => {
    if (!name) return;
    claimed++;
    const pid = parseClaimName(name).processorId;
    holders.set(pid, [...(holders.get(pid) ?? []), open[i]!]);
  });
  const processors: LiveProcessor[] = await inChunks(processorNames.sort(), async (id) => {
    const info = await s
      .getData(p.processor(id))
      .then((r) => decodeJson<StoredProcessor>(r.data, p.processor(id)))
      .catch((): StoredProcessor => ({ host: '?', pid: 0, startedAt: 0 }));
    const applied = info.controlVersion === undefined ? {} : { controlVersion: info.controlVersion };
    return { processorId: id, host: info.host, pid: info.pid, holding: holders.get(id) ?? [], ...applied };
  });
  return {
    spec,
    batchCount: plan.batchCount,
    done: doneCount,
    quarantined: quarantinedCount,
    claimed,
    pending: open.length - claimed,
    complete: plan.ready && open.length === 0,
    processors,
    reclaims: events.filter((e) => e.type === 'reclaimed').length,
    fencedCommits: events.filter((e) => e.type === 'fenced').length,
  };
}

/** The planned batches (key ranges), in index order; the first `batchCount` of them when the caller has read the plan already. */
export async function readBatches(s: ZkSession, root: string, jobId: string, batchCount?: number): Promise<Batch[]> {
  const p = new JobPaths(root, jobId);
  const count = batchCount ?? (await readPlan(s, p)).batchCount;
  const indexes = Array.from({ length: count }, (_, b) => b);
  return inChunks(indexes, async (b) => {
    const { data } = await s.getData(p.batch(b));
    const { first, last, count } = decodeJson<StoredBatch>(data, p.batch(b));
    return { index: b, first, last, count };
  });
}

/** Live claims on open batches (owner first per batch), with their last reported status. */
export async function readLiveClaims(s: ZkSession, root: string, jobId: string): Promise<Claim[]> {
  const p = new JobPaths(root, jobId);
  const open = (await readFrontier(s, p)).batches.filter((b) => b.state === undefined).map((b) => b.index);
  const names = await inChunks(open, async (b) => sortClaims(await s.getChildren(p.batch(b)).catch(() => [])).map((name) => ({ b, name })));
  const claims = await inChunks(names.flat(), async ({ b, name }) => {
    const got = await s.getData(p.claim(b, name)).catch(() => undefined);
    if (!got) return undefined; // released meanwhile
    const data = decodeJson<ClaimData>(got.data, p.claim(b, name));
    return { ...data, batch: b, seq: parseClaimName(name).seq, name, version: got.stat.version };
  });
  return claims.filter((c): c is Claim => c !== undefined);
}

/**
 * Done markers with their result buffers, in batch order. They are read by
 * index, never by listing done/: that listing grows without bound (a Java
 * client's 1 MB jute.maxbuffer is reached at ~75k children).
 */
/** The done markers of batches below `batchCount` (default: the plan's, read now). */
export async function readDoneMarkers(s: ZkSession, root: string, jobId: string, batchCount?: number): Promise<DoneMarker[]> {
  const count = batchCount ?? (await readPlan(s, new JobPaths(root, jobId))).batchCount;
  return readDoneMarkersOf(s, root, jobId, Array.from({ length: count }, (_, b) => b));
}

/** The done markers of these batches (those that have one), in the order given. */
export async function readDoneMarkersOf(s: ZkSession, root: string, jobId: string, batches: readonly number[]): Promise<DoneMarker[]> {
  const p = new JobPaths(root, jobId);
  const markers = await inChunks(batches, async (batch) => {
    const got = await s.getData(p.done(batch)).catch((err) => {
      if (isZkError(err, zookeeper.Exception.NO_NODE)) return undefined; // open or quarantined
      throw err;
    });
    if (!got) return undefined;
    const { header, result } = decodeDone(got.data, p.done(batch));
    return { batch, ...header, committedAt: statCtime(got.stat), result };
  });
  return markers.filter((m): m is DoneMarker => m !== undefined);
}

export async function readQuarantine(s: ZkSession, root: string, jobId: string): Promise<QuarantineRecord[]> {
  const p = new JobPaths(root, jobId);
  const names = (await s.getChildren(p.quarantineDir)).sort();
  return inChunks(names, async (name) => {
    const batch = parseBatchName(name);
    const { data, stat } = await s.getData(p.quarantine(batch));
    return { batch, ...decodeJson<StoredQuarantine>(data, p.quarantine(batch)), at: statCtime(stat) };
  });
}

/** Reclaim and fenced-commit records, oldest first. */
export async function readEvents(s: ZkSession, root: string, jobId: string): Promise<CoordinationEventRecord[]> {
  const p = new JobPaths(root, jobId);
  const names = (await s.getChildren(p.eventsDir)).sort();
  return inChunks(names, async (name) => {
    const path = `${p.eventsDir}/${name}`;
    const { data, stat } = await s.getData(path);
    return { ...decodeJson<StoredEvent>(data, path), at: statCtime(stat) };
  });
}

async function readCompleteCount(s: ZkSession, p: JobPaths): Promise<number> {
  try {
    const { data } = await s.getData(p.complete);
    return decodeJson<{ batchCount: number }>(data, p.complete).batchCount;
  } catch (err) {
    if (isZkError(err, zookeeper.Exception.NO_NODE)) return -1;
    throw err;
  }
}

/** Runs `fn` over `items` with up to CHUNK requests in flight, keeping order. */
async function inChunks<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK) for (const r of await Promise.all(items.slice(i, i + CHUNK).map(fn))) out.push(r);
  return out;
}
