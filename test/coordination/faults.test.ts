/**
 * Process faults with processors in their own OS processes, on a real
 * standalone ZooKeeper: SIGKILL mid-batch, SIGSTOP past the session timeout,
 * and a randomized run with kills. Each child must also exit by itself once
 * its job is complete (no leaked timers or sockets).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { Processor, readDoneMarkers, readJobStatus, type ZkSession } from '../../src/coordination/index.js';
import { commitsByBatch, eventually, makeBatches, openSession, range, startChildProcessor, type ChildProcessor } from './helpers.js';

let zk: ZooKeeperCluster;
let admin: ZkSession;
const ROOT = '/faults';
const children: ChildProcessor[] = [];
const timing = { sessionTimeoutMs: 2_000, staleAfterMs: 1_500 };
const spec = (jobId: string) => ({ jobId, sourceId: 'test-source', modelId: 'test-model', batchSize: 10 });

function child(processorId: string, jobId: string, extra: Record<string, unknown>): ChildProcessor {
  const c = startChildProcessor({ connectString: zk.connectString, root: ROOT, processorId, jobId, ...timing, ...extra });
  children.push(c);
  return c;
}

async function expectCleanExit(c: ChildProcessor): Promise<void> {
  await c.waitFor((l) => l.event === 'done', 30_000, 'its done line');
  const timeout = new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5_000).unref());
  expect(await Promise.race([c.exited, timeout])).toEqual({ code: 0, signal: null });
}

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, tickTimeMs: 500 });
  admin = await openSession(zk.connectString);
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  await admin?.close();
  await zk?.stop();
});

describe('process faults', () => {
  it('a processor SIGKILLed mid-batch: another processor finishes that batch after the claim expires', async () => {
    const victim = child('victim', 'sigkill', { batches: 3, workMs: 5_000 });
    const claimed = await victim.waitFor((l) => l.event === 'claimed', 20_000, 'a claim');
    victim.kill('SIGKILL');
    await victim.exited;
    const rescuer = child('rescuer', 'sigkill', { batches: 3, workMs: 20 });
    await expectCleanExit(rescuer);
    const done = await readDoneMarkers(admin, ROOT, 'sigkill');
    expect(done.map((d) => d.batch)).toEqual(range(3));
    // The killed attempt counts as a failed attempt: the rescue is attempt 2.
    expect(done.find((d) => d.batch === claimed.batch)).toMatchObject({ processorId: 'rescuer', attempt: 2 });
  });

  it('a processor SIGSTOPped past its session timeout, then resumed: its work is void, the batch is committed once, by the other', async () => {
    const sleeper = child('sleeper', 'sigstop', { batches: 2, workMs: 3_000 });
    const claimed = await sleeper.waitFor((l) => l.event === 'claimed', 20_000, 'a claim');
    sleeper.kill('SIGSTOP');
    const other = new Processor({ connectString: zk.connectString, root: ROOT, processorId: 'awake', ...timing, idlePollMs: 100 });
    const otherRun = other.run({ spec: spec('sigstop') }, async () => Buffer.from('awake'));
    // The server expires the sleeper's session; its claim vanishes; the other takes the batch.
    await eventually('the other processor committed the sleeper\'s batch', () => admin.exists(`${ROOT}/jobs/sigstop/done/${String(claimed.batch).padStart(10, '0')}`), 20_000);
    sleeper.kill('SIGCONT');
    const woke = await sleeper.waitFor((l) => (l.event === 'sessionLost' || l.event === 'fenced') && (l.batch === undefined || l.batch === claimed.batch), 20_000, 'noticing its session or claim is gone');
    expect(['sessionLost', 'fenced']).toContain(woke.event);
    await expectCleanExit(sleeper);
    expect((await otherRun).complete).toBe(true);
    expect(sleeper.lines.filter((l) => l.event === 'committed' && l.batch === claimed.batch)).toEqual([]);
    const done = await readDoneMarkers(admin, ROOT, 'sigstop');
    expect(done.map((d) => d.batch)).toEqual([0, 1]);
    expect(done.find((d) => d.batch === claimed.batch)?.processorId).toBe('awake');
  });

  it('randomized: 4 processes with simulated work, random SIGKILLs and SIGSTOPs past the session timeout; every batch is done, each committed exactly once', async () => {
    const jobId = 'random';
    const batches = 100;
    const opts = { batches, workMs: 80, jitterMs: 120 };
    const live: ChildProcessor[] = range(4).map((i) => child(`rnd${i}`, jobId, opts));
    const all = [...live];
    let next = 4;
    const pauses: Promise<void>[] = [];
    const paused = new Set<ChildProcessor>();
    const pick = (from: ChildProcessor[]) => from[Math.floor(Math.random() * from.length)]!;
    // Faults start once the job runs (process start-up takes seconds on a loaded machine).
    await eventually('two processes at work', () => live.filter((c) => c.lines.some((l) => l.event === 'claimed')).length >= 2, 30_000);
    for (const round of range(5)) {
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 800));
      if (round % 2 === 1) {
        // Paused for longer than its 2 s session: it must notice and never commit stale work.
        const running = live.filter((c) => !paused.has(c) && c.lines.some((l) => l.event === 'claimed') && !c.lines.some((l) => l.event === 'done'));
        if (running.length === 0) continue;
        const sleeper = pick(running);
        paused.add(sleeper);
        sleeper.kill('SIGSTOP');
        pauses.push(new Promise<void>((r) => setTimeout(() => (sleeper.kill('SIGCONT'), r()), 3_000)));
        continue;
      }
      const killable = live.filter((c) => !paused.has(c));
      const victim = pick(killable);
      live.splice(live.indexOf(victim), 1);
      victim.kill('SIGKILL');
      const replacement = child(`rnd${next++}`, jobId, opts);
      live.push(replacement);
      all.push(replacement);
    }
    await Promise.all(pauses);
    await eventually('job complete', async () => (await readJobStatus(admin, ROOT, jobId)).complete, 60_000, 200);
    await Promise.all(live.map((c) => expectCleanExit(c)));
    const done = await readDoneMarkers(admin, ROOT, jobId);
    expect(done.map((d) => d.batch)).toEqual(range(batches));
    // No process believes it committed a batch whose marker names another commit.
    const commits = commitsByBatch(all);
    for (const [batch, lines] of commits) {
      expect(lines, `batch ${batch} reported committed more than once`).toHaveLength(1);
      const marker = done.find((d) => d.batch === batch)!;
      expect({ processorId: lines[0]!.processorId, claimSeq: lines[0]!.claimSeq }).toEqual({ processorId: marker.processorId, claimSeq: marker.claimSeq });
    }
    // The faults hit a running job: a paused process found its session gone (a later pause may
    // land on a process that is just finishing, so not every pause must).
    expect(paused.size).toBeGreaterThan(0);
    expect([...paused].some((c) => c.lines.some((l) => l.event === 'sessionLost'))).toBe(true);
    // Survivors saw every commit they made land: at least the batches not lost with killed processes.
    expect(commits.size).toBeGreaterThanOrEqual(batches - 8);
  });
});
