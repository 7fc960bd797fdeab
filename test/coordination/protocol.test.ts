/**
 * The claim protocol against a real standalone ZooKeeper, with processors in
 * this process: planning, races, fenced commits, stale reclaim, poison
 * batches, drain, ACLs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zookeeper from 'node-zookeeper-client';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import {
  extendJob,
  JobPaths,
  listJobs,
  readLiveClaims,
  JobSpecMismatchError,
  openJob,
  PlanConflictError,
  Processor,
  readDoneMarkers,
  readEvents,
  readJobStatus,
  readQuarantine,
  ZkOperationError,
  type JobSpec,
  type ZkSession,
} from '../../src/coordination/index.js';
import { claimBatchAttempt, commitBatchIfClaimStands, reclaimClaimIfUnchanged } from '../../src/coordination/transactions.js';
import { eventually, makeBatches, openSession, range } from './helpers.js';

let zk: ZooKeeperCluster;
let admin: ZkSession;
const ROOT = '/proto';
const spec = (jobId: string, extra: Partial<JobSpec> = {}): JobSpec => ({ jobId, sourceId: 'src', modelId: 'm1', batchSize: 10, ...extra });
// Sessions outlive scheduling hiccups of a loaded machine; staleness is what these tests exercise.
const processorOpts = { sessionTimeoutMs: 4_000, staleAfterMs: 1_500, root: ROOT, idlePollMs: 100 };

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, tickTimeMs: 500 });
  admin = await openSession(zk.connectString);
});

afterAll(async () => {
  await admin?.close();
  await zk?.stop();
});

describe('planning', () => {
  it('exactly one of several concurrent processors plans a job; the others wait for the plan', async () => {
    const sessions = await Promise.all(range(4).map(() => openSession(zk.connectString)));
    let plannerCalls = 0;
    const results = await Promise.all(
      sessions.map((s) =>
        openJob(s, ROOT, spec('plan-once'), async () => {
          plannerCalls++;
          await new Promise((r) => setTimeout(r, 200)); // the others must wait, not plan
          return makeBatches(50);
        }),
      ),
    );
    await Promise.all(sessions.map((s) => s.close()));
    expect(plannerCalls).toBe(1);
    expect(results.filter((r) => r.planned)).toHaveLength(1);
    for (const r of results) expect(r.plan).toMatchObject({ batchCount: 50, ready: true });
  });

  it('a planner that dies mid-plan (its session ends) is replaced by a waiting processor, which finishes the plan', async () => {
    const doomed = await openSession(zk.connectString);
    void openJob(doomed, ROOT, spec('takeover'), () => new Promise<never>(() => undefined)).catch(() => undefined); // never finishes planning
    await eventually('job created by the doomed planner', () => admin.exists(new JobPaths(ROOT, 'takeover').planningLock), 10_000);
    const heir = await openSession(zk.connectString);
    const heirOpen = openJob(heir, ROOT, spec('takeover'), () => makeBatches(20));
    await doomed.close(); // its ephemeral planning lock goes with it
    const result = await heirOpen;
    expect(result).toMatchObject({ planned: true, plan: { batchCount: 20, ready: true } });
    await heir.close();
  });

  it('joining a job with a different spec is a JobSpecMismatchError naming the field', async () => {
    await openJob(admin, ROOT, spec('mismatch'), () => makeBatches(3));
    const err = await openJob(admin, ROOT, spec('mismatch', { modelId: 'm2' }), () => makeBatches(3)).catch((e) => e);
    expect(err).toBeInstanceOf(JobSpecMismatchError);
    expect(err.message).toContain('modelId');
  });

  it('10,000 batches are planned, and a job is extended; of two concurrent extends one wins, the other gets PlanConflictError', async () => {
    const { plan } = await openJob(admin, ROOT, spec('big'), () => makeBatches(10_000));
    expect(plan.batchCount).toBe(10_000);
    expect((await admin.getChildren(new JobPaths(ROOT, 'big').batches)).length).toBe(10_000);
    const other = await openSession(zk.connectString);
    const outcomes = await Promise.allSettled([
      extendJob(admin, ROOT, 'big', makeBatches(5, 10_000)),
      extendJob(other, ROOT, 'big', makeBatches(7, 10_000)),
    ]);
    await other.close();
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(PlanConflictError);
    const batchCount = (won[0] as PromiseFulfilledResult<{ batchCount: number }>).value.batchCount;
    expect([10_005, 10_007]).toContain(batchCount);
    expect((await admin.getChildren(new JobPaths(ROOT, 'big').batches)).length).toBe(batchCount);
  });
});

describe('fenced commit (transactions on real ZooKeeper)', () => {
  const claimData = (attempt: number) => ({ processorId: 'owner', at: 0, status: 'claimed', attempt });
  const header = { processorId: 'owner', claimSeq: 0, attempt: 1, claimedAt: 0 };
  const event = { type: 'reclaimed' as const, batch: 0, processorId: 'admin', claimSeq: 0, detail: 'test' };

  async function claimed(jobId: string, owner: ZkSession) {
    const p = new JobPaths(ROOT, jobId);
    await openJob(admin, ROOT, spec(jobId), () => makeBatches(1));
    const { stat } = await owner.getData(p.batch(0));
    expect(stat.version).toBe(1); // never 0: a 0 inside a multi would mean "any version"
    const name = await claimBatchAttempt(owner, p, 0, stat.version, 'aaaaaa', claimData(1), { processorId: 'owner' });
    return { p, name, batchVersion: stat.version, batch: makeBatches(1)[0]! };
  }

  it('two claims on the same view of a batch: exactly one succeeds, the loser leaves nothing behind', async () => {
    const a = await openSession(zk.connectString);
    const b = await openSession(zk.connectString);
    const p = new JobPaths(ROOT, 'claim-unit');
    await openJob(admin, ROOT, spec('claim-unit'), () => makeBatches(1));
    const { stat } = await admin.getData(p.batch(0));
    const results = await Promise.allSettled([a, b].map((s, i) => claimBatchAttempt(s, p, 0, stat.version, `nonce${i}`, claimData(1), { processorId: 'x' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const children = await admin.getChildren(p.batch(0));
    expect(children.filter((c) => c.startsWith('claim-'))).toHaveLength(1);
    expect(children.filter((c) => c.startsWith('attempt-'))).toEqual(['attempt-0000000001']);
    await Promise.all([a.close(), b.close()]);
  });

  it('a commit after our claim was reclaimed fails and writes nothing', async () => {
    const owner = await openSession(zk.connectString);
    const { p, name, batchVersion, batch } = await claimed('fence-unit', owner);
    await reclaimClaimIfUnchanged(admin, p, 0, name, 0, 1, event);
    const err = await commitBatchIfClaimStands(owner, p, batch, batchVersion, name, header, Buffer.from('x'), []).catch((e) => e);
    expect(err).toBeInstanceOf(ZkOperationError);
    expect(await admin.exists(p.done(0))).toBeUndefined();
    await owner.close();
  });

  it('a reclaim that saw an older version fails once the owner heartbeats (compare-and-delete)', async () => {
    const owner = await openSession(zk.connectString);
    const { p, name } = await claimed('fence-cas', owner);
    await owner.setData(p.claim(0, name), Buffer.from('{}'), 0); // a heartbeat
    const err = await reclaimClaimIfUnchanged(admin, p, 0, name, 0, 1, event).catch((e) => e);
    expect(err).toBeInstanceOf(ZkOperationError);
    expect(await admin.exists(p.claim(0, name))).toBeDefined();
    await owner.close();
  });

  it('a commit through an expired (closed) session is rejected', async () => {
    const owner = await openSession(zk.connectString);
    const { p, name, batchVersion, batch } = await claimed('fence-expired', owner);
    await owner.close();
    expect(await admin.exists(p.claim(0, name))).toBeUndefined(); // ephemeral gone with the session
    await expect(commitBatchIfClaimStands(owner, p, batch, batchVersion, name, header, Buffer.alloc(0), [])).rejects.toThrow();
    expect(await admin.exists(p.done(0))).toBeUndefined();
  });

  it('a claim made on a view older than the batch\'s commit is rejected (batch version fence)', async () => {
    const owner = await openSession(zk.connectString);
    const { p, name, batchVersion, batch } = await claimed('fence-closed', owner);
    await commitBatchIfClaimStands(owner, p, batch, batchVersion, name, header, Buffer.from('ok'), ['attempt-0000000001']);
    const late = await claimBatchAttempt(admin, p, 0, batchVersion, 'late00', claimData(1), { processorId: 'late' }).catch((e) => e);
    expect(late).toBeInstanceOf(ZkOperationError);
    expect(late.code).toBe('ZK_BAD_VERSION');
    expect(await admin.getChildren(p.batch(0))).toEqual([]);
    await owner.close();
  });
});

describe('processors', () => {
  it('two processors racing for one batch: exactly one commits it (20 rounds)', async () => {
    for (const round of range(20)) {
      const jobId = `race-${round}`;
      const procs = range(2).map((i) => new Processor({ ...processorOpts, connectString: zk.connectString, processorId: `r${round}p${i}` }));
      const summaries = await Promise.all(procs.map((p) => p.run({ spec: spec(jobId), plan: () => makeBatches(1) }, async (b) => Buffer.from(`${b.index}`))));
      expect(summaries.reduce((n, s) => n + s.committed, 0)).toBe(1);
      const done = await readDoneMarkers(admin, ROOT, jobId);
      expect(done.map((d) => d.batch)).toEqual([0]);
    }
  });

  it('results go into the done markers, with committing processor, claim sequence and ZooKeeper times', async () => {
    const procs = range(3).map((i) => new Processor({ ...processorOpts, connectString: zk.connectString, processorId: `res${i}` }));
    const big = Buffer.alloc(900 * 1024, 7);
    await Promise.all(procs.map((p) => p.run({ spec: spec('results'), plan: () => makeBatches(30) }, async (b) => (b.index === 5 ? big : Buffer.from(`r${b.first}-${b.last}`)))));
    const done = await readDoneMarkers(admin, ROOT, 'results');
    expect(done.map((d) => d.batch)).toEqual(range(30));
    for (const d of done) {
      if (d.batch === 5) expect(d.result.equals(big)).toBe(true);
      else expect(d.result.toString()).toBe(`r${d.batch * 10}-${d.batch * 10 + 9}`);
      expect(d.processorId).toMatch(/^res\d$/);
      expect(d.committedAt).toBeGreaterThanOrEqual(d.claimedAt);
    }
    const tooBig = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'toobig', maxAttempts: 1 });
    await tooBig.run({ spec: spec('too-big'), plan: () => makeBatches(1) }, async () => Buffer.alloc(1_100_000));
    expect(await readQuarantine(admin, ROOT, 'too-big')).toEqual([expect.objectContaining({ batch: 0, lastError: expect.stringContaining('ResultTooLargeError: result of batch 0 is 1100000 bytes') })]);
    const status = await readJobStatus(admin, ROOT, 'results');
    expect(status).toMatchObject({ batchCount: 30, done: 30, pending: 0, claimed: 0, complete: true, processors: [] });
  });

  it('a poison batch is quarantined after maxAttempts with its last error, and the job still completes', async () => {
    const procs = range(2).map((i) => new Processor({ ...processorOpts, connectString: zk.connectString, processorId: `poison${i}`, maxAttempts: 2 }));
    const summaries = await Promise.all(
      procs.map((p) =>
        p.run({ spec: spec('poison'), plan: () => makeBatches(10) }, async (b) => {
          if (b.index === 4) throw new Error('cannot parse batch 4');
          return Buffer.from('ok');
        }),
      ),
    );
    expect(summaries.every((s) => s.complete)).toBe(true);
    expect(summaries.reduce((n, s) => n + s.failed, 0)).toBe(2);
    const q = await readQuarantine(admin, ROOT, 'poison');
    expect(q).toEqual([expect.objectContaining({ batch: 4, attempts: 2, lastError: 'Error: cannot parse batch 4' })]);
    expect((await readDoneMarkers(admin, ROOT, 'poison')).map((d) => d.batch)).toEqual(range(10).filter((b) => b !== 4));
    expect(await readJobStatus(admin, ROOT, 'poison')).toMatchObject({ done: 9, quarantined: 1, complete: true });
  });

  it('a processor alive but stuck (no heartbeat) has its claim reclaimed; its late commit is fenced out and recorded', async () => {
    const stuck = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'stuck' });
    const helper = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'helper' });
    let stuckBatch = -1;
    const stuckRun = stuck.run({ spec: spec('stuck'), plan: () => makeBatches(4) }, async (b) => {
      if (stuckBatch === -1) {
        stuckBatch = b.index;
        // Ignores its signal on purpose and makes no progress for 3 × staleAfter.
        await new Promise((r) => setTimeout(r, 4_500));
      }
      return Buffer.from('stuck-result');
    });
    await eventually('the stuck processor has claimed a batch', () => stuckBatch >= 0, 10_000);
    const helperDone = helper.run({ spec: spec('stuck') }, async () => Buffer.from('helper-result'));
    const [a, b] = await Promise.all([stuckRun, helperDone]);
    expect(b.reclaimed).toBeGreaterThanOrEqual(1);
    expect(a.fenced).toBe(1);
    const done = await readDoneMarkers(admin, ROOT, 'stuck');
    expect(done.map((d) => d.batch)).toEqual(range(4));
    expect(done.find((d) => d.batch === stuckBatch)).toMatchObject({ processorId: 'helper', attempt: 2 });
    const events = await readEvents(admin, ROOT, 'stuck');
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'reclaimed', batch: stuckBatch, processorId: 'helper', otherProcessorId: 'stuck' }),
        expect.objectContaining({ type: 'fenced', batch: stuckBatch, processorId: 'stuck' }),
      ]),
    );
    expect(await readJobStatus(admin, ROOT, 'stuck')).toMatchObject({ reclaims: 1, fencedCommits: 1, complete: true });
  });

  it('a worker that fails after its claim was reclaimed: the processor records a fenced attempt and carries on (no crash)', async () => {
    const slow = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'slowfailer' });
    const helper = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'helper2' });
    let slowBatch = -1;
    const slowRun = slow.run({ spec: spec('fail-late'), plan: () => makeBatches(4) }, async (b) => {
      if (slowBatch === -1) {
        slowBatch = b.index;
        // Silent past staleAfter (reclaimed meanwhile), then fails before its own stall limit (2 × staleAfter).
        await new Promise((r) => setTimeout(r, 2_500));
        throw new Error('mail source gave up');
      }
      return Buffer.from('slow-result');
    });
    await eventually('the slow processor has claimed a batch', () => slowBatch >= 0, 10_000);
    const helperDone = helper.run({ spec: spec('fail-late') }, async () => Buffer.from('helper-result'));
    const [a, b] = await Promise.all([slowRun, helperDone]);
    expect(b.reclaimed).toBeGreaterThanOrEqual(1);
    expect(a.fenced).toBe(1);
    const done = await readDoneMarkers(admin, ROOT, 'fail-late');
    expect(done.map((d) => d.batch)).toEqual(range(4));
    expect(done.find((d) => d.batch === slowBatch)).toMatchObject({ processorId: 'helper2', attempt: 2 });
  });

  it('a worker hung for ever (no result, no heartbeat, deaf to its signal) with nobody left to reclaim: its own processor gives the attempt up and the job completes', async () => {
    // Chaos seed 50, round 14: the whole fleet hung in its workers while its sessions stayed healthy; nobody reclaimed.
    const p = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'alone.hung' });
    const reasons: unknown[] = [];
    const summary = await p.run({ spec: spec('all-hung'), plan: () => makeBatches(3) }, (b, ctx) => {
      if (b.index === 1 && ctx.attempt === 1) {
        ctx.signal.addEventListener('abort', () => reasons.push(ctx.signal.reason), { once: true });
        return new Promise<Buffer>(() => undefined);
      }
      return Promise.resolve(Buffer.from(`r${b.index}`));
    });
    expect(summary).toMatchObject({ complete: true, committed: 3, failed: 1 });
    expect(reasons).toEqual([expect.objectContaining({ code: 'WORKER_STALLED' })]);
    const done = await readDoneMarkers(admin, ROOT, 'all-hung');
    expect(done.map((d) => d.batch)).toEqual(range(3));
    expect(done.find((d) => d.batch === 1)).toMatchObject({ processorId: 'alone.hung', attempt: 2 });
  });

  it('a processor paused past its session timeout (event loop blocked, like a long GC): its commit is rejected, the batch is redone once', async () => {
    const p = new Processor({ ...processorOpts, sessionTimeoutMs: 2_000, connectString: zk.connectString, processorId: 'pauser' });
    const commits: { batch: number; attempt: number }[] = [];
    p.on('committed', (e) => commits.push({ batch: e.batch.index, attempt: e.attempt }));
    let paused = false;
    const summary = await p.run({ spec: spec('paused'), plan: () => makeBatches(2) }, async (b) => {
      if (!paused) {
        paused = true;
        const until = Date.now() + 4_000; // the server expires the 2 s session meanwhile
        while (Date.now() < until) {
          /* no timers, no I/O: the commit below goes out before the watchdog can run */
        }
      }
      return Buffer.from(`${b.index}`);
    });
    expect(summary).toMatchObject({ complete: true, fenced: 1, committed: 2 });
    // The pause blocked this whole process, so the test's own session is gone too (as it should be).
    if (!admin.alive) admin = await openSession(zk.connectString);
    const done = await readDoneMarkers(admin, ROOT, 'paused');
    expect(done.map((d) => d.batch)).toEqual([0, 1]);
    expect(commits).toHaveLength(2);
    const redone = done.find((d) => d.attempt === 2);
    expect(redone).toBeDefined(); // the paused attempt counts as failed; the redo is attempt 2
    expect((await readEvents(admin, ROOT, 'paused')).filter((e) => e.type === 'fenced')).toHaveLength(1);
  });

  it('drain() finishes and commits the batch in hand, then stops claiming', async () => {
    const p = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'drainer' });
    let calls = 0;
    let draining: Promise<void> | undefined;
    const run = p.run({ spec: spec('drain-finish'), plan: () => makeBatches(5) }, async () => {
      calls++;
      draining ??= p.drain();
      await new Promise((r) => setTimeout(r, 300));
      return Buffer.from('finished');
    });
    const summary = await run;
    await draining;
    expect(calls).toBe(1);
    expect(summary).toMatchObject({ committed: 1, released: 0, complete: false });
    expect(await readJobStatus(admin, ROOT, 'drain-finish')).toMatchObject({ done: 1, claimed: 0, pending: 4, processors: [] });
  });

  it('close() releases the batch in hand without counting an attempt; another processor finishes the job', async () => {
    const first = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'leaver' });
    let started = false;
    const run = first.run({ spec: spec('drain'), plan: () => makeBatches(3) }, (b, ctx) => {
      started = true;
      return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    await eventually('work started', () => started, 10_000);
    const claims = await readLiveClaims(admin, ROOT, 'drain');
    expect(claims).toEqual([expect.objectContaining({ processorId: 'leaver', attempt: 1, status: 'claimed' })]);
    expect((await readJobStatus(admin, ROOT, 'drain')).processors).toEqual([
      expect.objectContaining({ processorId: 'leaver', holding: [claims[0]!.batch] }),
    ]);
    await first.close();
    const s1 = await run;
    expect(s1).toMatchObject({ released: 1, committed: 0, complete: false });
    const second = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'stayer' });
    const s2 = await second.run({ spec: spec('drain') }, async (_, ctx) => Buffer.from(`attempt ${ctx.attempt}`));
    expect(s2).toMatchObject({ committed: 3, complete: true });
    for (const d of await readDoneMarkers(admin, ROOT, 'drain')) expect(d.attempt).toBe(1);
  });
});

describe('cadence', () => {
  it('an extended job is incomplete until its new batches are done; a processor without a planner joins and finishes them', async () => {
    const first = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'cad1' });
    expect(await first.run({ spec: spec('cadence'), plan: () => makeBatches(5) }, async () => Buffer.from('a'))).toMatchObject({ committed: 5, complete: true });
    await extendJob(admin, ROOT, 'cadence', makeBatches(3, 5));
    expect(await readJobStatus(admin, ROOT, 'cadence')).toMatchObject({ batchCount: 8, done: 5, pending: 3, complete: false });
    const second = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'cad2' });
    expect(await second.run({ spec: spec('cadence') }, async () => Buffer.from('b'))).toMatchObject({ committed: 3, complete: true });
    const done = await readDoneMarkers(admin, ROOT, 'cadence');
    expect(done.map((d) => d.result.toString())).toEqual(['a', 'a', 'a', 'a', 'a', 'b', 'b', 'b']);
    const listed = (await listJobs(admin, ROOT)).find((j) => j.jobId === 'cadence');
    expect(listed).toMatchObject({ batchCount: 8, ready: true, complete: true, spec: spec('cadence') });
  });

  it('a processor without a planner cannot create a job: JobNotFoundError', async () => {
    const p = new Processor({ ...processorOpts, connectString: zk.connectString, processorId: 'orphan' });
    await expect(p.run({ spec: spec('no-such-job') }, async () => Buffer.alloc(0))).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(await admin.exists(new JobPaths(ROOT, 'no-such-job').job)).toBeUndefined();
  });
});

describe('ACLs', () => {
  it('a client without the fleet credentials cannot delete claims or done markers, nor write a done marker', async () => {
    const auth = { user: 'fleet', password: 'correct horse' };
    const fleet = await openSession(zk.connectString, auth);
    const p = new JobPaths('/secured', 'acl');
    await openJob(fleet, '/secured', spec('acl'), () => makeBatches(2));
    const proc = new Processor({ ...processorOpts, root: '/secured', auth, connectString: zk.connectString, processorId: 'fleet1' });
    await proc.run({ spec: spec('acl') }, async (b) => Buffer.from(`${b.index}`));
    await openJob(fleet, '/secured', spec('acl-held'), () => makeBatches(1));
    const held = new JobPaths('/secured', 'acl-held');
    const claim = await claimBatchAttempt(fleet, held, 0, 1, 'dddddd', { processorId: 'x', at: 0, status: 's', attempt: 1 }, { processorId: 'x' });

    const stranger = await openSession(zk.connectString);
    const wrong = await openSession(zk.connectString, { user: 'fleet', password: 'wrong' });
    for (const outsider of [stranger, wrong]) {
      for (const attempt of [
        () => outsider.remove(p.done(0), -1),
        () => outsider.remove(held.claim(0, claim), -1),
        () => outsider.create(`${p.doneDir}/0000000099`, Buffer.from('forged'), zookeeper.CreateMode.PERSISTENT),
        () => outsider.getData(p.done(0)),
      ]) {
        const err = await attempt().catch((e) => e);
        expect(err).toBeInstanceOf(ZkOperationError);
        expect(err.code).toBe('ZK_NO_AUTH');
      }
    }
    expect(await fleet.exists(p.done(0))).toBeDefined();
    expect(await fleet.exists(held.claim(0, claim))).toBeDefined();
    await Promise.all([stranger.close(), wrong.close(), fleet.close()]);
  });
});
