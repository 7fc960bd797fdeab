/**
 * Liveness against a real ZooKeeper (issue 12): a healthy job is not fenced
 * or charged attempts for faults of the fleet itself (a slow or restarted
 * ZooKeeper, a session lost while the processor ran smoothly), while a
 * poison batch, whether it crashes its processor or stalls it, still reaches
 * quarantine.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import {
  openJob,
  Processor,
  readBatches,
  readDoneMarkers,
  readEvents,
  readQuarantine,
  SessionLostError,
  ZkSession,
  type Batch,
  type JobSpec,
  type PlanFrom,
  type WorkContext,
} from '../../src/coordination/index.js';
import { makeBatches, startChildProcessor, startTcpProxy, waitStopped } from './helpers.js';

let zk: ZooKeeperCluster;
const ROOT = '/liveness';
const spec = (jobId: string): JobSpec => ({ jobId, sourceId: 'src', modelId: 'm1', batchSize: 10 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, tickTimeMs: 500 });
});

afterEach(() => {
  for (const n of zk.nodes) n.server?.child.kill('SIGCONT');
});

afterAll(async () => {
  await zk?.stop();
});

/** A session that outlives the pauses these tests inflict (10 s, the most a 500 ms tick allows). */
async function admin<T>(use: (s: ZkSession) => Promise<T>): Promise<T> {
  const s = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 10_000 });
  await s.start();
  try {
    return await use(s);
  } finally {
    await s.close();
  }
}

/**
 * A worker that reports progress every 20 ms without awaiting it, as the
 * pipeline's fetch does, for `ms`; `onStart` runs once, on the first attempt.
 */
function beatingWorker(ms: number, onStart?: () => Promise<void>) {
  let started = false;
  return async (batch: Batch, ctx: WorkContext): Promise<Buffer> => {
    const first = !started;
    started = true;
    const fault = first && onStart ? onStart() : Promise.resolve();
    const until = performance.now() + ms;
    while (performance.now() < until || !(await isSettled(fault))) {
      ctx.signal.throwIfAborted();
      void ctx.heartbeat(`step ${Math.round(performance.now())}`).catch(() => undefined);
      await sleep(20);
    }
    return Buffer.from(`batch ${batch.index}`);
  };
}

async function isSettled(p: Promise<void>): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(0).then(() => false)]);
}

/** SIGSTOPs the standalone server for `ms`, then SIGCONTs it. */
async function pauseZooKeeper(ms: number): Promise<void> {
  const server = zk.nodes[0]!.server!;
  server.child.kill('SIGSTOP');
  await waitStopped(server.pid);
  await sleep(ms);
  server.child.kill('SIGCONT');
}

describe('heartbeats', () => {
  it('a heartbeat whose reply is slow (ZooKeeper paused 450 ms, staleAfter 1.2 s) leaves the claim standing: committed at attempt 1, nothing fenced', async () => {
    const p = new Processor({ connectString: zk.connectString, root: ROOT, processorId: 'slowreply', sessionTimeoutMs: 4_000, staleAfterMs: 1_200 });
    const worker = beatingWorker(1_500, async () => {
      await sleep(300);
      await pauseZooKeeper(450);
    });
    const summary = await p.run({ spec: spec('slow-reply'), plan: () => makeBatches(1) }, worker);
    expect(summary).toMatchObject({ complete: true, committed: 1, fenced: 0, failed: 0 });
    await admin(async (s) => {
      expect((await readDoneMarkers(s, ROOT, 'slow-reply')).map((d) => d.attempt)).toEqual([1]);
      expect(await readEvents(s, ROOT, 'slow-reply')).toEqual([]);
    });
  });

  it('a heartbeat in flight when the connection drops (same session, reconnected at once) is resolved by reading the claim back: committed at attempt 1', async () => {
    const proxy = await startTcpProxy(zk.nodes[0]!.clientPort);
    try {
      const p = new Processor({ connectString: proxy.address, root: ROOT, processorId: 'connloss', sessionTimeoutMs: 4_000, staleAfterMs: 1_200 });
      const worker = beatingWorker(1_000, async () => {
        await sleep(300);
        const server = zk.nodes[0]!.server!;
        server.child.kill('SIGSTOP');
        await waitStopped(server.pid);
        await sleep(300); // a heartbeat goes out and gets no reply
        proxy.cutAll(); // its reply is lost with the connection: CONNECTION_LOSS
        server.child.kill('SIGCONT');
      });
      const summary = await p.run({ spec: spec('conn-loss'), plan: () => makeBatches(1) }, worker);
      expect(summary).toMatchObject({ complete: true, committed: 1, fenced: 0, failed: 0, sessionsLost: 0 });
      await admin(async (s) => expect((await readDoneMarkers(s, ROOT, 'conn-loss')).map((d) => d.attempt)).toEqual([1]));
    } finally {
      await proxy.close();
    }
  });
});

describe('attempts charged', () => {
  it('a session lost because ZooKeeper went silent (paused 3.5 s, 4 s session: lost at its 2.7 s deadline) while the processor ran smoothly charges no attempt: with maxAttempts 1 the batch is redone, not quarantined', async () => {
    const p = new Processor({
      connectString: zk.connectString,
      root: ROOT,
      processorId: 'zkfault',
      // Long enough that load on a shared machine does not look like a stall of this process (> 1/3 session timeout).
      sessionTimeoutMs: 4_000,
      staleAfterMs: 1_200,
      maxAttempts: 1,
    });
    const worker = beatingWorker(500, () => pauseZooKeeper(3_500));
    const summary = await p.run({ spec: spec('zk-silent'), plan: () => makeBatches(1) }, worker);
    expect(summary).toMatchObject({ complete: true, committed: 1, quarantined: 0, sessionsLost: 1, spared: 1 });
    await admin(async (s) => {
      expect(await readQuarantine(s, ROOT, 'zk-silent')).toEqual([]);
      expect((await readDoneMarkers(s, ROOT, 'zk-silent')).map((d) => d.attempt)).toEqual([2]);
    });
  });

  it('a poison batch that crashes its processor every time still reaches quarantine (its crashes are counted)', async () => {
    const job = 'poison-crash';
    const base = { connectString: zk.connectString, root: ROOT, jobId: job, batches: 3, workMs: 50, sessionTimeoutMs: 2_000, staleAfterMs: 1_000, maxAttempts: 2, crashOn: [1] };
    const exits = [];
    for (const id of ['crashA', 'crashB', 'crashC']) {
      const child = startChildProcessor({ ...base, processorId: id });
      exits.push(await child.exited);
    }
    await admin(async (s) => {
      const q = await readQuarantine(s, ROOT, job);
      expect(q.map((r) => ({ batch: r.batch, attempts: r.attempts }))).toEqual([{ batch: 1, attempts: 2 }]);
      expect((await readDoneMarkers(s, ROOT, job)).map((d) => d.batch)).toEqual([0, 2]);
    });
    expect(exits.filter((e) => e.signal === 'SIGKILL')).toHaveLength(2);
  });

  it('a poison batch that stalls its processor past the session timeout every time (event loop blocked) still reaches quarantine', async () => {
    const p = new Processor({ connectString: zk.connectString, root: ROOT, processorId: 'staller', sessionTimeoutMs: 2_000, staleAfterMs: 1_000, maxAttempts: 2 });
    const summary = await p.run({ spec: spec('poison-stall'), plan: () => makeBatches(1) }, async () => {
      const until = Date.now() + 4_000; // the server expires the 2 s session meanwhile
      while (Date.now() < until) {
        /* no timers, no I/O */
      }
      return Buffer.from('never committed');
    });
    expect(summary).toMatchObject({ complete: true, committed: 0, quarantined: 1, spared: 0 });
    await admin(async (s) => expect((await readQuarantine(s, ROOT, 'poison-stall')).map((r) => r.attempts)).toEqual([2]));
  });
});

describe('job-wide settings', () => {
  it('a member started with a shorter staleAfter uses the job\'s and says so: it does not reclaim a healthy peer\'s claim', async () => {
    const job = spec('settings');
    const healthy = new Processor({ connectString: zk.connectString, root: ROOT, processorId: 'healthy', sessionTimeoutMs: 4_000, staleAfterMs: 3_000 });
    const holding = new Promise<void>((resolve) => healthy.once('claimed', () => resolve()));
    const healthyRun = healthy.run({ spec: job, plan: () => makeBatches(1) }, beatingWorker(2_500));
    await holding;
    const eager = new Processor({ connectString: zk.connectString, root: ROOT, processorId: 'eager', sessionTimeoutMs: 4_000, staleAfterMs: 300 });
    const reclaims: unknown[] = [];
    const warnings: string[] = [];
    const settings: unknown[] = [];
    eager.on('reclaimed', (e) => reclaims.push(e));
    eager.on('warning', (e) => warnings.push(e.message));
    eager.on('jobSettings', (e) => settings.push(e));
    const [mine, theirs] = await Promise.all([healthyRun, eager.run({ spec: job }, beatingWorker(10))]);
    expect(reclaims).toEqual([]);
    expect(mine).toMatchObject({ committed: 1, fenced: 0 });
    expect(theirs).toMatchObject({ complete: true, reclaimed: 0 });
    expect(settings).toEqual([{ settings: { staleAfterMs: 3_000, heartbeatIntervalMs: 500, maxAttempts: 3 }, differs: ['staleAfterMs', 'heartbeatIntervalMs'] }]);
    expect(eager.options.staleAfterMs).toBe(3_000);
    expect(warnings.join('\n')).toContain('staleAfterMs=3000 (ours: 300)');
    await admin(async (s) => expect(await readEvents(s, ROOT, 'settings')).toEqual([]));
  });
});

/** A real session that dies (closes, as a crashed planner's would) when it is asked for its n-th append multi. */
class PlannerDyingAtAppend extends ZkSession {
  private appends = 0;
  constructor(connectString: string, private readonly dieAt: number) {
    super({ connectString, sessionTimeoutMs: 4_000 });
  }
  override multi(name: string, build: Parameters<ZkSession['multi']>[1]) {
    if (name.startsWith('append') && ++this.appends === this.dieAt) {
      return this.close().then(() => Promise.reject(new SessionLostError('test: the planner died between two appends')));
    }
    return super.multi(name, build);
  }
}

/** Cuts ascending keys into batches of `size`, as a source's planner would. */
function cut(keys: number[], size: number, firstIndex: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < keys.length; i += size) {
    const run = keys.slice(i, i + size);
    out.push({ index: firstIndex + out.length, first: run[0]!, last: run.at(-1)!, count: run.length });
  }
  return out;
}

const plannerOver =
  (keys: number[]) =>
  ({ firstIndex, afterKey }: PlanFrom = { firstIndex: 0, afterKey: undefined }) =>
    cut(afterKey === undefined ? keys : keys.filter((k) => k > afterKey), 5, firstIndex);

describe('planning', () => {
  it('a planner dies between two appends, then a key of the written prefix is expunged: the heir keeps the written batches and plans only the keys after them', async () => {
    const job = spec('heir');
    const keys = Array.from({ length: 50 }, (_, i) => 100 + 2 * i); // 10 batches of 5, appended 2 at a time
    const doomed = new PlannerDyingAtAppend(zk.connectString, 2);
    await doomed.start();
    await expect(openJob(doomed, ROOT, job, plannerOver(keys), undefined, { appendChunk: 2 })).rejects.toBeInstanceOf(SessionLostError);
    const expunged = keys.filter((k) => k !== keys[3]); // inside batch 0, which the dead planner wrote
    await admin(async (s) => {
      const result = await openJob(s, ROOT, job, plannerOver(expunged), undefined, { appendChunk: 2 });
      expect(result).toMatchObject({ planned: true, plan: { batchCount: 10, ready: true } });
      const batches = await readBatches(s, ROOT, 'heir');
      expect(batches.slice(0, 2)).toEqual(cut(keys, 5, 0).slice(0, 2)); // as written, the expunged key's range included
      const planned = expunged.filter((k) => batches.filter((b) => b.first <= k && k <= b.last).length === 1);
      expect(planned).toEqual(expunged); // every key in exactly one batch
      expect(batches.slice(2).reduce((n, b) => n + b.count, 0)).toBe(expunged.filter((k) => k > batches[1]!.last).length);
    });
  });
});
