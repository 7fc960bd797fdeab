/**
 * FleetWatcher against a real ZooKeeper and a real replay: snapshots follow
 * the job from watches, bursts of commits are coalesced into a bounded rate of
 * reads, and an idle job costs no reads at all (no polling).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useZooKeeper } from '../support/zookeeper.js';
import { changeControl, JobPaths, ZkSession } from '../../src/coordination/index.js';
import { CommitCache, FleetWatcher, readJobSnapshot, serveStatusPage, type JobSnapshot } from '../../src/dashboard/index.js';
import { eventually } from '../coordination/helpers.js';
import { runCli, TEST_SPLIT } from '../pipeline/harness.js';
import { tempDirs } from '../support/temp-dirs.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());
const zoo = useZooKeeper({ prefix: 'spamzk-watcher-zk-' });

const EML_SAMPLE = fileURLToPath(new URL('../../fixtures/eml/sample', import.meta.url));

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

const reads = (s: ZkSession): number => (s.counts.byOp.getChildren ?? 0) + (s.counts.byOp.getData ?? 0);

describe('FleetWatcher', () => {
  it('follows a replay from watches with at most one read per debounce window, and reads nothing while the job is idle', async () => {
    const root = '/watch-replay';
    const debounceMs = 250;
    const watcher = new FleetWatcher(zoo.session, { root, debounceMs, onError: (err) => console.error(err) });
    const snapshots: JobSnapshot[] = [];
    watcher.subscribe((u) => void (u.type === 'snapshot' && snapshots.push(u.snapshot)));
    await watcher.start(); // no job yet: it waits for one
    const run = runCli(['replay', TEST_SPLIT, '--zk', zoo.zk.connectString, '--zk-root', root, '--processors', '2', '--batch-size', '10', '--json', '--report-dir', temp.make('spamzk-watcher-report-')]);
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    // The processors deregister as they exit: the latest snapshot shows that too.
    const last = await eventually('a complete snapshot without live processors', () => {
      const l = snapshots.at(-1);
      return l?.complete && l.done === 125 && l.processors.length === 0 ? l : undefined;
    }, 10_000);

    // The same figures as a fresh read of the whole job.
    const fresh = await readJobSnapshot(zoo.session, root, last.jobId);
    expect({ ...last, takenAt: 0 }).toEqual({ ...fresh, takenAt: 0 });
    // 125 batches committed (each a claim, a commit, several watch firings), far fewer reads of the job.
    console.log(`${snapshots.length} snapshots published for 125 batches committed`);
    expect(snapshots.length).toBeGreaterThan(2);
    expect(snapshots.length).toBeLessThan(125);
    const dones = snapshots.map((s) => s.done);
    expect(dones.every((d, i) => i === 0 || d >= dones[i - 1]!)).toBe(true);
    const gaps = snapshots.slice(1).map((s, i) => s.takenAt - snapshots[i]!.takenAt);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(debounceMs - 10);

    // Nothing changes now: no watch fires, so nothing is read.
    const before = reads(zoo.session);
    const published = snapshots.length;
    await new Promise((r) => setTimeout(r, 3_000));
    expect(reads(zoo.session)).toBe(before);
    expect(snapshots.length).toBe(published);

    // A change to the finished job (a pause) makes one more snapshot, which
    // reads no done marker again: they never change, and the watcher keeps
    // what it read (a full read would be 125 getData calls).
    const operator = new ZkSession({ connectString: zoo.zk.connectString, sessionTimeoutMs: 10_000 });
    await operator.start();
    const dataReads = (): number => zoo.session.counts.byOp.getData ?? 0;
    const beforePause = dataReads();
    await changeControl(operator, new JobPaths(root, last.jobId), (c) => ({ state: 'paused', settings: c.settings, changedAt: Date.now(), by: 'test' }));
    await operator.close();
    const paused = await eventually('a snapshot of the paused job', () => snapshots.find((x) => x.control.state === 'paused'), 10_000);
    expect(paused.done).toBe(125);
    expect(paused.throughput.messages).toBe(last.throughput.messages);
    expect(dataReads() - beforePause).toBeLessThan(20);
    watcher.close();
  });

  it('reads a job deleted and planned again under the same id afresh, not from the commits kept for the old one', async () => {
    const root = '/watch-again';
    const zk = ['--zk', zoo.zk.connectString, '--zk-root', root];
    const replay = async (): Promise<string> => {
      const r = await runCli(['replay', EML_SAMPLE, ...zk, '--processors', '1', '--batch-size', '2', '--json', '--report-dir', temp.make('spamzk-watcher-report-')]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { job: { jobId: string } }).job.jobId;
    };
    const jobId = await replay();
    const cache = new CommitCache();
    const first = await readJobSnapshot(zoo.session, root, jobId, Date.now, cache);
    expect(first.complete).toBe(true);
    const deleted = await runCli(['jobs', 'delete', jobId, ...zk]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await replay()).toBe(jobId);
    // The kept commits are the old job's (other commit times): the snapshot must not use them.
    const again = await readJobSnapshot(zoo.session, root, jobId, Date.now, cache);
    const fresh = await readJobSnapshot(zoo.session, root, jobId);
    expect({ ...again, takenAt: 0 }).toEqual({ ...fresh, takenAt: 0 });
    expect(again.throughput.series[0]!.at).toBeGreaterThan(first.throughput.series[0]!.at);
  }, 120_000);

  // Last: it stops the ZooKeeper server.
  it('the status page outlives its ZooKeeper session: after an outage it reconnects and shows a job planned afterwards', async () => {
    const root = '/watch-outage';
    const open = async (): Promise<ZkSession> => {
      const s = new ZkSession({ connectString: zoo.zk.connectString, sessionTimeoutMs: 4_000, connectTimeoutMs: 3_000 });
      await s.start();
      return s;
    };
    const errors: unknown[] = [];
    const page = await serveStatusPage({ session: await open(), openSession: open, root, port: 0, debounceMs: 100, onError: (e) => errors.push(e) });
    try {
      expect(await getJson<unknown[]>(`${page.url}api/jobs`)).toEqual([]);
      const node = zoo.zk.nodes[0]!.id;
      await zoo.zk.stopNode(node);
      await eventually('the page notices its session is lost', () => errors.some((e) => (e as { code?: string }).code === 'ZK_SESSION_LOST'), 15_000);
      await zoo.zk.startNode(node);
      const result = await runCli(['replay', EML_SAMPLE, '--zk', zoo.zk.connectString, '--zk-root', root, '--processors', '1', '--batch-size', '2', '--json', '--report-dir', temp.make('spamzk-watcher-report-')]);
      expect(result.code, result.stderr).toBe(0);
      const [job] = await eventually('the new job is listed', async () => {
        const jobs = await getJson<{ jobId: string }[]>(`${page.url}api/jobs`);
        return jobs.length === 1 ? jobs : undefined;
      }, 20_000);
      await eventually('its snapshot is complete', async () => (await getJson<JobSnapshot>(`${page.url}api/jobs/${job!.jobId}`)).complete, 20_000);
    } finally {
      await page.close();
    }
  });
});
