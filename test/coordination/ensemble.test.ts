/**
 * The claim protocol on a real 3-node ZooKeeper ensemble: races, a processor
 * SIGKILLed mid-batch, and the ensemble's leader killed mid-job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { Processor, readDoneMarkers, readQuarantine, ZkSession } from '../../src/coordination/index.js';
import { eventually, makeBatches, openSession, range, startChildProcessor, type ChildProcessor } from './helpers.js';

let zk: ZooKeeperCluster;
let admin: ZkSession;
const ROOT = '/ensemble';
const children: ChildProcessor[] = [];
const timing = { sessionTimeoutMs: 4_000, staleAfterMs: 3_000 };
const spec = (jobId: string) => ({ jobId, sourceId: 'test-source', modelId: 'test-model', batchSize: 10 });

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 3, tickTimeMs: 500 });
  admin = await openSession(zk.connectString);
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await admin?.close();
  await zk?.stop();
});

describe('3-node ensemble', () => {
  it('a request made while the session moves to another node carries the fleet credentials (no NO_AUTH)', async () => {
    const session = new ZkSession({ connectString: zk.connectString, auth: { user: 'fleet', password: 'moving-session' }, sessionTimeoutMs: 8_000 });
    await session.start();
    try {
      await session.mkdirp('/acl-failover/node'); // readable with the fleet's digest only
      let during: Promise<unknown> | undefined;
      session.once('suspended', () => {
        during = session.getData('/acl-failover/node');
      });
      // Stop the nodes one at a time until the one serving the session was hit.
      for (const node of zk.nodes) {
        await zk.killNode(node.id);
        await eventually('the session to notice', () => during, 2_000).catch(() => undefined);
        await zk.startNode(node.id);
        if (during) break;
      }
      expect(during).toBeDefined();
      await expect(during).resolves.toMatchObject({ data: Buffer.alloc(0) });
      expect(session.alive).toBe(true);
    } finally {
      await session.close();
    }
  });

  it('two processors racing for one batch: exactly one commits it (10 rounds)', async () => {
    for (const round of range(10)) {
      const procs = range(2).map((i) => new Processor({ connectString: zk.connectString, root: ROOT, processorId: `e${round}p${i}`, ...timing }));
      const summaries = await Promise.all(procs.map((p) => p.run({ spec: spec(`race-${round}`), plan: () => makeBatches(1) }, async () => Buffer.from('x'))));
      expect(summaries.reduce((n, s) => n + s.committed, 0)).toBe(1);
      expect((await readDoneMarkers(admin, ROOT, `race-${round}`)).map((d) => d.batch)).toEqual([0]);
    }
  });

  it('a processor SIGKILLed mid-batch: another finishes the job', async () => {
    const victim = startChildProcessor({ connectString: zk.connectString, root: ROOT, processorId: 'victim', jobId: 'kill', batches: 4, workMs: 10_000, ...timing });
    children.push(victim);
    const claimed = await victim.waitFor((l) => l.event === 'claimed', 30_000, 'a claim');
    victim.kill('SIGKILL');
    const rescuer = new Processor({ connectString: zk.connectString, root: ROOT, processorId: 'rescuer', ...timing, idlePollMs: 200 });
    const summary = await rescuer.run({ spec: spec('kill') }, async () => Buffer.from('rescued'));
    expect(summary).toMatchObject({ complete: true, committed: 4 });
    const done = await readDoneMarkers(admin, ROOT, 'kill');
    expect(done.map((d) => d.batch)).toEqual(range(4));
    expect(done.find((d) => d.batch === claimed.batch)).toMatchObject({ processorId: 'rescuer', attempt: 2 });
  });

  it('a stuck processor (alive, no heartbeat) is reclaimed and its late commit fenced; a poison batch is quarantined', async () => {
    const opts = { connectString: zk.connectString, root: ROOT, sessionTimeoutMs: 4_000, staleAfterMs: 1_500, idlePollMs: 100, maxAttempts: 2 };
    const stuck = new Processor({ ...opts, processorId: 'stuck' });
    const helper = new Processor({ ...opts, processorId: 'helper' });
    let stuckBatch = -1;
    const stuckRun = stuck.run({ spec: spec('stuck-poison'), plan: () => makeBatches(6) }, async (b) => {
      if (b.index === 5) throw new Error('poison');
      if (stuckBatch === -1) {
        stuckBatch = b.index;
        await new Promise((r) => setTimeout(r, 4_500)); // no heartbeat for 3 x staleAfter
      }
      return Buffer.from('stuck');
    });
    await eventually('the stuck processor claimed a batch', () => stuckBatch >= 0, 20_000);
    const helperRun = helper.run({ spec: spec('stuck-poison') }, async (b) => {
      if (b.index === 5) throw new Error('poison');
      return Buffer.from('helper');
    });
    const [a, b] = await Promise.all([stuckRun, helperRun]);
    expect(a.fenced + b.fenced).toBe(1);
    expect(a.reclaimed + b.reclaimed).toBeGreaterThanOrEqual(1);
    const done = await readDoneMarkers(admin, ROOT, 'stuck-poison');
    expect(done.map((d) => d.batch)).toEqual([0, 1, 2, 3, 4]);
    expect(done.find((d) => d.batch === stuckBatch)?.processorId).toBe('helper');
    expect(await readQuarantine(admin, ROOT, 'stuck-poison')).toEqual([expect.objectContaining({ batch: 5, attempts: 2, lastError: 'Error: poison' })]);
  });

  it("the ensemble's leader killed mid-job: the job completes, every batch committed exactly once", async () => {
    const batches = 60;
    const commits = new Map<number, { processorId: string; claimSeq: number }[]>();
    const procs = range(3).map((i) => {
      const p = new Processor({ connectString: zk.connectString, root: ROOT, processorId: `lk${i}`, ...timing, idlePollMs: 200 });
      p.on('committed', (e) => commits.set(e.batch.index, [...(commits.get(e.batch.index) ?? []), { processorId: p.processorId, claimSeq: e.claimSeq }]));
      return p;
    });
    const runs = procs.map((p) =>
      p.run({ spec: spec('leader-kill'), plan: () => makeBatches(batches) }, async (b, ctx) => {
        for (const _ of range(3)) {
          await new Promise((r) => setTimeout(r, 10));
          await ctx.heartbeat();
        }
        return Buffer.from(`${b.index}`);
      }),
    );
    await eventually('15 batches committed', () => commits.size >= 15, 30_000);
    const leader = await zk.leaderId();
    expect(leader).toBeDefined();
    await zk.killNode(leader!, 'SIGKILL');
    const summaries = await Promise.all(runs);
    expect(summaries.every((s) => s.complete)).toBe(true);
    expect(summaries.reduce((n, s) => n + s.committed, 0)).toBe(batches);
    const done = await readDoneMarkers(admin, ROOT, 'leader-kill');
    expect(done.map((d) => d.batch)).toEqual(range(batches));
    for (const d of done) expect(commits.get(d.batch)).toEqual([{ processorId: d.processorId, claimSeq: d.claimSeq }]);
    await zk.startNode(leader!);
  });
});
