/**
 * One try at one batch: look, claim, work, commit. The happy path costs one
 * round of pipelined reads and 2 writes (the claim multi and the fenced
 * commit) plus one per heartbeat; see docs/design.md for why each step is there.
 */
import { performance } from 'node:perf_hooks';
import zookeeper from 'node-zookeeper-client';
import {
  ClaimLostError,
  isAmbiguous,
  isZkError,
  MAX_RESULT_BYTES,
  ReleasedError,
  ResultTooLargeError,
  WorkerStalledError,
  SessionLostError,
} from './errors.js';
import { ClaimHeartbeat } from './heartbeat.js';
import { attemptName, attemptNumber, isAttemptName, isClaimName, newNonce, parseClaimName, sortClaims, type JobPaths } from './paths.js';
import { decodeJson, statCtime, type StoredAttempt, type StoredBatch } from './records.js';
import type { ZkSession } from './session.js';
import {
  claimBatchAttempt,
  commitBatchIfClaimStands,
  quarantineBatchIfOpen,
  reclaimClaimIfUnchanged,
  recordFailedAttempt,
  releaseClaimUncounted,
  withdrawClaim,
} from './transactions.js';
import type { Batch, ClaimData } from './types.js';
import type { AttemptHost, WorkContext } from './worker.js';

export type AttemptOutcome =
  | 'committed'
  | 'closed' // already done or quarantined
  | 'held' // another processor's live claim owns it
  | 'lost-race'
  | 'reclaimed' // we removed someone's stale claim; the batch is free again
  | 'failed'
  | 'quarantined'
  | 'released'
  | 'fenced'
  | 'aborted';

/**
 * A silent worker's claim is stale after staleAfterMs and any other processor
 * may reclaim it. But when every processor of the fleet is stuck in a worker
 * (e.g. all hung on the same unresponsive mail server), nobody is left to
 * reclaim, and nothing else aborts a worker whose session stays healthy: the
 * job would stall for ever (chaos seed 50, round 14). So the owner gives up
 * by itself after this many staleAfterMs, leaving the others the first chance.
 */
const STALLED_AFTER_STALE = 2;

interface Owned {
  batch: Batch;
  /** Version of the batch node when we claimed it: the commit requires it unchanged. */
  batchVersion: number;
  claimName: string;
  seq: number;
  nonce: string;
  attempt: number;
  /** ZooKeeper ctime of our claim, read in the background while the worker runs. */
  claimedAt: Promise<number>;
  /** The batch's attempt nodes before ours (some may be spared), and with ours. */
  priorAttempts: string[];
  attemptNodes: string[];
}

export async function tryBatch(h: AttemptHost, s: ZkSession, b: number): Promise<AttemptOutcome> {
  const p = h.paths;
  const t0 = performance.now();
  // Children first: a request of a session is answered after all earlier ones,
  // so if the children already show a commit (claim gone), the batch data does too.
  const [children, node] = await Promise.all([s.getChildren(p.batch(b)), s.getData(p.batch(b))]);
  const stored = decodeJson<StoredBatch>(node.data, p.batch(b));
  if (stored.state) return 'closed';
  const claims = sortClaims(children);
  if (claims.length > 0) return inspectHeldBatch(h, s, b, claims[0]!);

  const batch: Batch = { index: b, first: stored.first, last: stored.last, count: stored.count };
  const batchVersion = node.stat.version;
  const attempts = children.filter(isAttemptName);
  if (attempts.length >= h.options.maxAttempts) {
    const counted = await countedAttempts(s, p, b, attempts);
    if (counted.length >= h.options.maxAttempts) return quarantine(h, s, batch, batchVersion, undefined, attempts, counted);
  }

  const attempt = Math.max(0, ...attempts.map(attemptNumber)) + 1;
  const data: ClaimData = { processorId: h.processorId, at: Date.now(), status: 'claimed', attempt };
  const nonce = newNonce();
  let claimName: string;
  try {
    claimName = await claimBatchAttempt(s, p, b, batchVersion, nonce, data, { processorId: h.processorId, nonce });
  } catch (err) {
    if (isZkError(err, zookeeper.Exception.BAD_VERSION) || isZkError(err, zookeeper.Exception.NODE_EXISTS)) {
      h.emit('lostRace', { batch: b, attempt });
      return 'lost-race';
    }
    if (isAmbiguous(err) && s.alive) return withdrawAmbiguousClaim(s, p, b, h.processorId, nonce, attempt, err);
    throw err;
  }
  const seq = parseClaimName(claimName).seq;
  const claimedAt = s.exists(p.claim(b, claimName)).then(
    (stat) => (stat ? statCtime(stat) : Date.now()),
    () => Date.now(),
  );
  const owned: Owned = { batch, batchVersion, claimName, seq, nonce, attempt, claimedAt, priorAttempts: attempts, attemptNodes: [...attempts, attemptName(attempt)] };
  const claimMs = performance.now() - t0;
  h.emit('claimed', { batch, claimSeq: seq, attempt });
  return work(h, s, owned, claimMs);
}

async function work(h: AttemptHost, s: ZkSession, o: Owned, claimMs: number): Promise<AttemptOutcome> {
  const b = o.batch.index;
  const controller = new AbortController();
  const onSessionLost = () => controller.abort(s.signal.reason);
  s.signal.addEventListener('abort', onSessionLost, { once: true });
  const unhook = h.onStop((why) => controller.abort(new ReleasedError(b, why)));
  const beats = new ClaimHeartbeat({
    session: s,
    paths: h.paths,
    batch: b,
    claimName: o.claimName,
    intervalMs: h.options.heartbeatIntervalMs,
    onWrite: () => h.countHeartbeat(),
  });
  const stalledAfterMs = STALLED_AFTER_STALE * h.options.staleAfterMs;
  const stallCheck = setInterval(() => {
    const silentMs = performance.now() - beats.lastProgressAt;
    if (silentMs > stalledAfterMs && !controller.signal.aborted) controller.abort(new WorkerStalledError(b, silentMs));
  }, Math.max(50, Math.floor(h.options.staleAfterMs / 4)));
  const ctx: WorkContext = {
    signal: controller.signal,
    attempt: o.attempt,
    claimSeq: o.seq,
    processorId: h.processorId,
    heartbeat: (status = 'working') => {
      if (controller.signal.aborted) return Promise.reject(controller.signal.reason);
      const data: ClaimData = { processorId: h.processorId, at: Date.now(), status, attempt: o.attempt };
      return beats.beat(data).catch((err: unknown) => {
        controller.abort(err);
        throw controller.signal.reason;
      });
    },
  };
  const t0 = performance.now();
  try {
    const result = await untilAborted(h.worker(o.batch, ctx), controller.signal);
    const workMs = performance.now() - t0;
    await beats.settled();
    if (controller.signal.aborted) return afterAbort(h, s, o, controller.signal.reason);
    if (result.length > MAX_RESULT_BYTES) return await fail(h, s, o, new ResultTooLargeError(b, result.length));
    return await commit(h, s, o, result, { claimMs, workMs });
  } catch (err) {
    if (controller.signal.aborted) return afterAbort(h, s, o, controller.signal.reason);
    return fail(h, s, o, err);
  } finally {
    clearInterval(stallCheck);
    s.signal.removeEventListener('abort', onSessionLost);
    unhook();
  }
}

async function commit(h: AttemptHost, s: ZkSession, o: Owned, result: Buffer, t: { claimMs: number; workMs: number }): Promise<AttemptOutcome> {
  const b = o.batch.index;
  const header = { processorId: h.processorId, claimSeq: o.seq, attempt: o.attempt, claimedAt: await o.claimedAt };
  const t0 = performance.now();
  try {
    await commitBatchIfClaimStands(s, h.paths, o.batch, o.batchVersion, o.claimName, header, result, o.attemptNodes);
  } catch (err) {
    if (isZkError(err, zookeeper.Exception.NO_NODE) || isZkError(err, zookeeper.Exception.BAD_VERSION) || isZkError(err, zookeeper.Exception.NODE_EXISTS)) {
      return fenced(h, o, 'our claim no longer stands (reclaimed or expired) or the batch was closed meanwhile');
    }
    if (!isAmbiguous(err)) throw err;
    // The reply was lost: the done marker tells whether our commit was applied.
    // Not applied because the fleet lost our session: not the batch's fault.
    const spareIfFleetFault = () => {
      const lost = fleetFaultLoss(s);
      if (lost) spareLater(h, o, lost.message);
    };
    // readDoneOwner syncs its server first (processor.ts), so what it reads
    // includes our commit if the commit was applied. If it cannot read at all,
    // nobody knows yet: the job's record says "unknown", never "fenced", and
    // the batch is not counted as ours here (its marker says so if it is).
    let mine: Awaited<ReturnType<AttemptHost['readDoneOwner']>>;
    try {
      mine = await h.readDoneOwner(b);
    } catch (readErr) {
      spareIfFleetFault();
      return fenced(h, o, `commit outcome unknown: reply lost (${(err as Error).message}), read-back failed (${(readErr as Error).message})`, 'unknown');
    }
    if (!mine || mine.processorId !== h.processorId || mine.claimSeq !== o.seq) {
      spareIfFleetFault();
      const by = mine ? `committed by ${mine.processorId}` : 'not committed';
      return fenced(h, o, `commit reply lost (${(err as Error).message}); after a sync the batch is ${by}`);
    }
  }
  h.emit('committed', { batch: o.batch, claimSeq: o.seq, attempt: o.attempt, claimMs: t.claimMs, workMs: t.workMs, commitMs: performance.now() - t0 });
  return 'committed';
}

/** Our commit is not (or not known to be) applied; `recorded` says how the job's event log calls it. */
async function fenced(h: AttemptHost, o: Owned, reason: string, recorded: 'fenced' | 'unknown' = 'fenced'): Promise<AttemptOutcome> {
  h.emit('fenced', { batch: o.batch.index, claimSeq: o.seq, reason });
  await h.recordEventSomehow({ type: recorded, batch: o.batch.index, processorId: h.processorId, claimSeq: o.seq, detail: reason });
  return 'fenced';
}

async function afterAbort(h: AttemptHost, s: ZkSession, o: Owned, reason: unknown): Promise<AttemptOutcome> {
  const b = o.batch.index;
  if (reason instanceof ReleasedError && s.alive) {
    await releaseClaimUncounted(s, h.paths, b, o.claimName, o.attempt).catch(() => undefined);
    h.emit('released', { batch: b, claimSeq: o.seq });
    return 'released';
  }
  if (reason instanceof ClaimLostError) return fenced(h, o, reason.message);
  const lost = fleetFaultLoss(s);
  if (lost) spareLater(h, o, lost.message);
  // Counted like a worker failure, so that a batch that always hangs ends in quarantine.
  if (reason instanceof WorkerStalledError && s.alive) return fail(h, s, o, reason);
  return 'aborted';
}

/**
 * Records a failed attempt (quarantine at maxAttempts), unless our claim is
 * already gone: whoever reclaimed it counted the attempt, and the failure of
 * a batch we no longer own is a fenced attempt, not a crash (chaos run).
 */
async function fail(h: AttemptHost, s: ZkSession, o: Owned, err: unknown): Promise<AttemptOutcome> {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  h.emit('failed', { batch: o.batch.index, attempt: o.attempt, error: message });
  // Fewer attempt nodes than that cannot make this the last attempt, spared or not: no reads then.
  const mayBeLast = o.priorAttempts.length + 1 >= h.options.maxAttempts;
  const countedBefore = mayBeLast ? (await countedAttempts(s, h.paths, o.batch.index, o.priorAttempts)).length : 0;
  if (mayBeLast && countedBefore + 1 >= h.options.maxAttempts) {
    return quarantine(h, s, o.batch, o.batchVersion, o, o.attemptNodes, countedBefore + 1, message);
  }
  try {
    await recordFailedAttempt(s, h.paths, o.batch.index, o.claimName, o.attempt, { processorId: h.processorId, claimSeq: o.seq, error: message });
  } catch (recordErr) {
    if (isZkError(recordErr, zookeeper.Exception.NO_NODE)) return fenced(h, o, `${message}; the claim was already gone`);
    throw recordErr;
  }
  return 'failed';
}

async function quarantine(
  h: AttemptHost,
  s: ZkSession,
  batch: Batch,
  batchVersion: number,
  owned: Owned | undefined,
  attempts: string[],
  counted: CountedAttempt[] | number,
  lastError?: string,
): Promise<AttemptOutcome> {
  const reason = lastError ?? (Array.isArray(counted) ? lastAttemptError(counted) : 'unknown');
  const count = Array.isArray(counted) ? counted.length : counted;
  const record = { attempts: count, lastError: reason, processorId: h.processorId };
  try {
    await quarantineBatchIfOpen(s, h.paths, batch, batchVersion, owned?.claimName, record, attempts);
  } catch (err) {
    // Someone else closed or claimed it first: nothing to do here.
    if (isZkError(err, zookeeper.Exception.BAD_VERSION) || isZkError(err, zookeeper.Exception.NODE_EXISTS) || isZkError(err, zookeeper.Exception.NO_NODE)) {
      return owned ? fenced(h, owned, 'batch closed or claim lost before quarantine') : 'lost-race';
    }
    throw err;
  }
  h.emit('quarantined', { batch: batch.index, attempts: count, lastError: reason });
  return 'quarantined';
}

interface CountedAttempt extends StoredAttempt {
  attempt: number;
}

/**
 * The attempts that count against a batch: all of its attempt nodes except
 * those spared because their processor lost its session to a fault of the
 * fleet (docs/design.md). Read only near maxAttempts: a look at a batch costs
 * no extra request otherwise.
 */
async function countedAttempts(s: ZkSession, p: JobPaths, b: number, attempts: string[]): Promise<CountedAttempt[]> {
  const records = await Promise.all(
    attempts.map(async (name) => {
      try {
        const { data } = await s.getData(`${p.batch(b)}/${name}`);
        return { ...decodeJson<StoredAttempt>(data, name), attempt: attemptNumber(name) };
      } catch (err) {
        // Gone: the batch was closed meanwhile, and the versioned claim or quarantine that follows will find out.
        if (isZkError(err, zookeeper.Exception.NO_NODE)) return undefined;
        throw err;
      }
    }),
  );
  return records.filter((r): r is CountedAttempt => r !== undefined && r.spared === undefined).sort((x, y) => x.attempt - y.attempt);
}

function lastAttemptError(counted: CountedAttempt[]): string {
  const last = counted.at(-1);
  if (!last) return 'unknown';
  return last.error ?? `attempt ${last.attempt} by ${last.processorId} ended without a commit (its processor crashed, stalled, or lost its session)`;
}

/** The session's loss, when the fleet (ZooKeeper, the network) caused it and this process did not stall. */
function fleetFaultLoss(s: ZkSession): SessionLostError | undefined {
  const reason: unknown = s.signal.reason;
  return s.signal.aborted && reason instanceof SessionLostError && !reason.processStalled ? reason : undefined;
}

/** Our session went with our claim through no fault of the batch: the attempt is to be spared once a new session is up. */
function spareLater(h: AttemptHost, o: Owned, reason: string): void {
  h.spareAttempt({ batch: o.batch.index, attempt: o.attempt, nonce: o.nonce, reason });
}

/**
 * A batch someone else holds: if the lowest claim is ours from a session we
 * gave up, remove it; otherwise watch its version with our own monotonic
 * clock, and reclaim it once it has not changed for staleAfterMs.
 */
async function inspectHeldBatch(h: AttemptHost, s: ZkSession, b: number, lowest: string): Promise<AttemptOutcome> {
  const owner = parseClaimName(lowest);
  if (owner.processorId === h.processorId) {
    // Ours, but we are not working on b: left over from a session we gave up.
    await withdrawClaim(s, h.paths, b, lowest, undefined);
    return 'reclaimed';
  }
  let stat;
  let data: ClaimData;
  try {
    const got = await s.getData(h.paths.claim(b, lowest));
    stat = got.stat;
    data = decodeJson<ClaimData>(got.data, lowest);
  } catch (err) {
    if (isZkError(err, zookeeper.Exception.NO_NODE)) return 'reclaimed'; // gone meanwhile: free again
    throw err;
  }
  const now = performance.now();
  const seen = h.observed.get(b);
  if (!seen || seen.claimName !== lowest || seen.version !== stat.version) {
    h.observed.set(b, { claimName: lowest, version: stat.version, since: now });
    return 'held';
  }
  const staleMs = now - seen.since;
  if (staleMs < h.options.staleAfterMs) return 'held';
  const detail = `no progress for ${Math.round(staleMs)} ms (claim version ${stat.version}, status ${data.status})`;
  try {
    await reclaimClaimIfUnchanged(s, h.paths, b, lowest, stat.version, data.attempt, {
      type: 'reclaimed',
      batch: b,
      processorId: h.processorId,
      otherProcessorId: owner.processorId,
      claimSeq: owner.seq,
      detail,
    });
  } catch (err) {
    if (isZkError(err, zookeeper.Exception.BAD_VERSION) || isZkError(err, zookeeper.Exception.NO_NODE)) return 'held';
    throw err;
  }
  h.observed.delete(b);
  h.emit('reclaimed', { batch: b, fromProcessorId: owner.processorId, claimSeq: owner.seq, staleMs });
  return 'reclaimed';
}

/**
 * The claim's reply was lost, so the claim may exist anyway (docs/findings.md: a
 * re-sent create can even leave two). Ours are found by their self-identifying
 * names and withdrawn with their attempt node: this try did not happen.
 */
async function withdrawAmbiguousClaim(
  s: ZkSession,
  p: JobPaths,
  b: number,
  processorId: string,
  nonce: string,
  attempt: number,
  cause: unknown,
): Promise<AttemptOutcome> {
  const children = await s.getChildren(p.batch(b));
  for (const name of children.filter(isClaimName)) {
    const c = parseClaimName(name);
    if (c.nonce === nonce && c.processorId === processorId) await withdrawClaim(s, p, b, name, attempt);
  }
  throw cause;
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

