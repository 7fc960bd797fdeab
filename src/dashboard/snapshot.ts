/**
 * A job as the whole fleet sees it, at one moment: the one typed snapshot that
 * `spamzk status` (text and --json), the live status page and, later, the
 * Prometheus metrics all show. Read from ZooKeeper alone, from any machine.
 */
import {
  JobPaths,
  readDoneMarkersOf,
  readEvents,
  readJobStatus,
  readLiveClaims,
  readQuarantine,
  readControl,
  type Claim,
  type ControlState,
  type CoordinationEventRecord,
  type JobStatus,
  type LiveProcessor,
  type ZkSession,
} from '../coordination/index.js';
import { commitsOf, readModelHead } from '../pipeline/index.js';
import { commitRate, throughputTimeline, type BatchCommit } from '../report/index.js';

export type BatchState = 'pending' | 'claimed' | 'done' | 'quarantined';

/** One character per batch in `JobSnapshot.grid`, in batch order. */
export const BATCH_STATE_CODES: Readonly<Record<BatchState, string>> = { pending: 'p', claimed: 'c', done: 'd', quarantined: 'q' };

/** The claim that owns an open batch. */
export interface ClaimView {
  batch: number;
  /** The claim znode's name (unique for ever: processor, nonce, sequence). */
  claimName: string;
  processorId: string;
  attempt: number;
  /** What the worker last reported ("claimed", "fetching 40/250", "working"...). */
  status: string;
  /** Server time (ZooKeeper ctime) the claim was made. */
  claimedAt: number;
  /** Claim's age when the snapshot was taken (snapshot clock minus ctime; 0 if the clocks disagree). */
  ageMs: number;
  /** Heartbeats so far (the claim znode's version). */
  heartbeats: number;
  /** Server time (ZooKeeper mtime) of the last heartbeat, or of the claim when there was none yet. */
  lastHeartbeatAt: number;
}

export interface ProcessorView extends LiveProcessor {
  claims: ClaimView[];
}

export interface ThroughputPoint {
  /** Start of the bucket, server time (ms since epoch). */
  at: number;
  msgsPerSec: number;
}

export interface Throughput {
  /** Messages committed so far. */
  messages: number;
  /** Over the span from the first claim to the last commit. */
  msgsPerSec: number;
  /** Width of each bucket of `series`. */
  bucketMs: number;
  /** Messages per second over time; a batch's messages are spread over its claim-to-commit span. */
  series: ThroughputPoint[];
}

/** The job's control (spamzk pause/resume/drain/config): version -1 when it was never changed. */
export interface ControlView {
  state: ControlState;
  version: number;
  settings: Record<string, string>;
  changedAt: number;
}

export interface JobSnapshot extends JobStatus {
  jobId: string;
  /** When the snapshot was read (this machine's clock). */
  takenAt: number;
  /** One of BATCH_STATE_CODES per batch, batch 0 first. */
  grid: string;
  processors: ProcessorView[];
  claims: ClaimView[];
  throughput: Throughput;
  /** The newest reclaim and fenced-commit records, oldest first. */
  recentEvents: CoordinationEventRecord[];
  /** The fleet's current learned model version for the job's account (absent: never learned). */
  modelVersion?: { version: number; learned: { spam: number; ham: number } };
  control: ControlView;
}

const RECENT_EVENTS = 20;
/** The one series of the page's throughput chart: the whole fleet. */
const FLEET = 'fleet';

/**
 * The commits of a job read so far, by batch. A done marker never changes
 * once made, so a reader that keeps this between snapshots (the live page)
 * reads each marker once: a snapshot then costs the open part of the job,
 * not its history.
 */
export class CommitCache {
  /** By batch. */
  readonly commits = new Map<number, BatchCommit>();
  /** The job node's creation (czxid, hex) these commits belong to: a job deleted and planned again starts afresh. */
  jobCreated: string | undefined;
}

/** Reads the whole job (several pipelined reads); with `cache`, only the done markers it lacks. */
export async function readJobSnapshot(
  session: ZkSession,
  root: string,
  jobId: string,
  now: () => number = Date.now,
  cache: CommitCache = new CommitCache(),
): Promise<JobSnapshot> {
  const [status, jobNode, quarantined, liveClaims, events, control] = await Promise.all([
    readJobStatus(session, root, jobId),
    session.exists(new JobPaths(root, jobId).job),
    readQuarantine(session, root, jobId),
    readLiveClaims(session, root, jobId),
    readEvents(session, root, jobId),
    readControl(session, new JobPaths(root, jobId)),
  ]);
  const jobCreated = jobNode?.czxid.toString('hex');
  if (jobCreated !== cache.jobCreated) cache.commits.clear();
  cache.jobCreated = jobCreated;
  const known = cache.commits;
  // For the batches of the plan the status read, so grid and counts agree.
  const [head] = await Promise.all([readModelHead(session, root, status.spec.sourceId), readNewCommits(session, root, jobId, known, status.batchCount)]);
  const takenAt = now();
  const claims = await ownerClaims(session, new JobPaths(root, jobId), liveClaims, takenAt);
  const states = batchStates(status.batchCount, known, quarantined.map((q) => q.batch), claims);
  const count = (s: BatchState) => states.filter((x) => x === s).length;
  const processors = status.processors.map((p): ProcessorView => {
    const mine = claims.filter((c) => c.processorId === p.processorId);
    return { ...p, holding: mine.map((c) => c.batch), claims: mine };
  });
  return {
    ...status,
    jobId,
    takenAt,
    done: count('done'),
    quarantined: count('quarantined'),
    claimed: count('claimed'),
    pending: count('pending'),
    grid: states.map((s) => BATCH_STATE_CODES[s]).join(''),
    processors,
    claims,
    throughput: measureThroughput([...known.values()].filter((c) => c.batch < status.batchCount)),
    reclaims: events.filter((e) => e.type === 'reclaimed').length,
    fencedCommits: events.filter((e) => e.type === 'fenced').length,
    recentEvents: events.slice(-RECENT_EVENTS),
    ...(head ? { modelVersion: { version: head.version, learned: { ...head.learned } } } : {}),
    control: { state: control.state, version: control.version, settings: control.settings, changedAt: control.changedAt },
  };
}

/** The state of batch `b` in a snapshot's grid. */
export function batchStateAt(snapshot: Pick<JobSnapshot, 'grid'>, b: number): BatchState {
  const code = snapshot.grid[b];
  const hit = (Object.keys(BATCH_STATE_CODES) as BatchState[]).find((s) => BATCH_STATE_CODES[s] === code);
  if (!hit) throw new RangeError(`batch ${b} is not in this snapshot (${snapshot.grid.length} batches)`);
  return hit;
}

/** Closed batches win over a claim read a moment earlier: a commit deletes its claim in the same multi. */
function batchStates(batchCount: number, done: ReadonlyMap<number, BatchCommit>, quarantined: number[], claims: ClaimView[]): BatchState[] {
  const states: BatchState[] = Array.from({ length: batchCount }, () => 'pending');
  for (const c of claims) if (c.batch < batchCount) states[c.batch] = 'claimed';
  for (const b of quarantined) if (b < batchCount) states[b] = 'quarantined';
  for (const b of done.keys()) if (b < batchCount) states[b] = 'done';
  return states;
}

/** The owning claim of each batch (lowest sequence, attempt ≥ 1), with its server-side creation time. */
async function ownerClaims(session: ZkSession, paths: JobPaths, live: Claim[], takenAt: number): Promise<ClaimView[]> {
  const owners = new Map<number, Claim>();
  for (const c of live) if (c.attempt > 0 && !owners.has(c.batch)) owners.set(c.batch, c);
  const views = await Promise.all(
    [...owners.values()].map(async (c): Promise<ClaimView | undefined> => {
      const stat = await session.exists(paths.claim(c.batch, c.name));
      if (!stat) return undefined; // committed or released since
      const claimedAt = Number(stat.ctime.readBigInt64BE(0)); // 8-byte big-endian ms, server clock
      return {
        batch: c.batch,
        claimName: c.name,
        processorId: c.processorId,
        attempt: c.attempt,
        status: c.status,
        claimedAt,
        ageMs: Math.max(0, takenAt - claimedAt),
        heartbeats: c.version,
        lastHeartbeatAt: Number(stat.mtime.readBigInt64BE(0)),
      };
    }),
  );
  return views.filter((v): v is ClaimView => v !== undefined).sort((a, b) => a.batch - b.batch);
}

/** Adds to `known` the commits of batches below `batchCount` it lacks (quarantined and open batches have no marker). */
async function readNewCommits(session: ZkSession, root: string, jobId: string, known: Map<number, BatchCommit>, batchCount: number): Promise<void> {
  const unknown: number[] = [];
  for (let b = 0; b < batchCount; b++) if (!known.has(b)) unknown.push(b);
  for (const commit of commitsOf(await readDoneMarkersOf(session, root, jobId, unknown))) known.set(commit.batch, commit);
}

/** The report's throughput (one definition, report/throughput.ts), as one fleet-wide series. */
function measureThroughput(done: readonly BatchCommit[]): Throughput {
  const commits = done.map((c) => ({ ...c, processor: FLEET }));
  const rate = commitRate(commits);
  const timeline = throughputTimeline(commits, [FLEET], 0);
  const perSecond = timeline.series[0]?.messagesPerSecond ?? [];
  return {
    messages: rate.messages,
    msgsPerSec: Math.round(rate.messagesPerSecond ?? 0),
    bucketMs: timeline.bucketMs,
    series: perSecond.map((msgsPerSec, i) => ({ at: timeline.startMs + i * timeline.bucketMs, msgsPerSec: Math.round(msgsPerSec) })),
  };
}
