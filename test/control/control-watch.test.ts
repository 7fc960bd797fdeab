/**
 * The control recipe itself (src/coordination/control.ts) on a real
 * ZooKeeper: compare-and-set changes, the watch re-armed on each event, and a
 * member on a new session that re-reads what it missed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeControl, ControlWatch, JobNotFoundError, JobPaths, readControl, type ControlSnapshot, type ZkSession } from '../../src/coordination/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { eventually, openSession } from '../coordination/helpers.js';
import { tempDirs } from '../support/temp-dirs.js';

const ROOT = '/control-recipe';
const temp = tempDirs();
let zk: ZooKeeperCluster;
let admin: ZkSession;

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, baseDir: temp.make('spamzk-control-recipe-zk-') });
  admin = await openSession(zk.connectString);
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await zk?.stop();
  temp.removeAll();
});

async function job(id: string): Promise<JobPaths> {
  const p = new JobPaths(ROOT, id);
  await admin.mkdirp(p.job);
  return p;
}

const set = (state: ControlSnapshot['state'], settings: Record<string, string> = {}) => (c: ControlSnapshot) => ({
  state,
  settings: { ...c.settings, ...settings },
  changedAt: Date.now(),
  by: 'test',
});

describe('job control recipe', () => {
  it('no node reads as running with no settings; each change is a new version', async () => {
    const p = await job('versions');
    expect(await readControl(admin, p)).toMatchObject({ state: 'running', version: -1, settings: {} });
    expect((await changeControl(admin, p, set('paused'))).version).toBe(0);
    expect((await changeControl(admin, p, set('running', { imapRate: '5/s' }))).version).toBe(1);
    expect(await readControl(admin, p)).toMatchObject({ state: 'running', version: 1, settings: { imapRate: '5/s' } });
  });

  it('concurrent changes from two operators both land (compare-and-set retries on the newer version)', async () => {
    const p = await job('concurrent');
    const other = await openSession(zk.connectString);
    try {
      await Promise.all([
        changeControl(admin, p, set('running', { a: '1' })),
        changeControl(other, p, set('running', { b: '2' })),
        changeControl(admin, p, set('running', { c: '3' })),
      ]);
      expect(await readControl(admin, p)).toMatchObject({ version: 2, settings: { a: '1', b: '2', c: '3' } });
    } finally {
      await other.close();
    }
  });

  it('a change to a job that does not exist is refused', async () => {
    await expect(changeControl(admin, new JobPaths(ROOT, 'missing'), set('paused'))).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('re-reading on the same session sets no second watch: one change costs one read, however often the member re-read', async () => {
    const p = await job('one-watch');
    const s = await openSession(zk.connectString);
    const watch = new ControlWatch(p);
    try {
      for (let i = 0; i < 3; i++) await watch.follow(s); // e.g. the paused member's periodic re-read
      const before = s.counts.byOp.getData ?? 0;
      const c = await changeControl(admin, p, set('paused'));
      await eventually('the change seen', () => watch.current.version === c.version || undefined, 5_000);
      const c2 = await changeControl(admin, p, set('running'));
      await eventually('the second change seen', () => watch.current.version === c2.version || undefined, 5_000);
      await new Promise((r) => setTimeout(r, 200)); // a duplicate watch chain would read again here
      expect((s.counts.byOp.getData ?? 0) - before).toBe(2);
    } finally {
      watch.close();
      await s.close();
    }
  });

  it('a watcher sees every version in turn, and on a new session re-reads a change made while it had none', async () => {
    const p = await job('watched');
    const seen: number[] = [];
    const watch = new ControlWatch(p);
    watch.on('change', (c) => seen.push(c.version));
    const first = await openSession(zk.connectString);
    await watch.follow(first); // no node yet: the watch waits for its creation
    expect(seen).toEqual([-1]);
    for (const state of ['paused', 'running', 'draining'] as const) {
      const c = await changeControl(admin, p, set(state));
      await eventually(`version ${c.version} seen`, () => seen.includes(c.version) || undefined, 5_000);
      expect(watch.current.state).toBe(state);
    }
    await first.close();
    const missed = await changeControl(admin, p, set('paused', { imapConnections: '2' }));
    const second = await openSession(zk.connectString);
    try {
      await watch.follow(second);
      expect(watch.current).toMatchObject({ version: missed.version, state: 'paused', settings: { imapConnections: '2' } });
      expect(seen).toEqual([-1, 0, 1, 2, 3]);
    } finally {
      watch.close();
      await second.close();
    }
  });
});
