/**
 * The fleet-wide lease semaphore against a real ZooKeeper: the cap holds under
 * contention from several sessions, a lease ends with its holder's session, an
 * abandoned wait leaves nothing behind, and waiters are woken without a herd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LeaseSemaphore, SemaphoreTimeoutError, type Lease, type ZkSession } from '../../src/coordination/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { tempDirs } from '../support/temp-dirs.js';
import { eventually, openSession, range } from './helpers.js';

const HOLDER = fileURLToPath(new URL('./fixtures/semaphore-holder.ts', import.meta.url));

const temp = tempDirs();
let zk: ZooKeeperCluster;
const sessions: ZkSession[] = [];

async function session(): Promise<ZkSession> {
  const s = await openSession(zk.connectString);
  sessions.push(s);
  return s;
}

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, baseDir: temp.make('spamzk-semaphore-zk-') });
});

afterAll(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  await zk?.stop();
  temp.removeAll();
});

describe('LeaseSemaphore', () => {
  it('never lets more than maxLeases sessions hold at once under contention from six sessions', async () => {
    const path = '/sem/contention';
    const max = 2;
    const members = await Promise.all(range(6).map(() => session()));
    let holding = 0;
    let peak = 0;
    let turns = 0;
    await Promise.all(
      members.map(async (s, m) => {
        const sem = new LeaseSemaphore(s, { path, maxLeases: max, holder: `m${m}` });
        for (let k = 0; k < 6; k++) {
          const lease = await sem.acquire({ timeoutMs: 60_000 });
          holding++;
          peak = Math.max(peak, holding);
          // What ZooKeeper itself says: our lease is among the first `max` in line.
          const line = await sem.leases();
          expect(line.indexOf(lease.path.split('/').pop()!)).toBeLessThan(max);
          await new Promise((r) => setTimeout(r, 5 + ((m * 7 + k * 3) % 20)));
          holding--;
          turns++;
          await lease.release();
        }
      }),
    );
    expect(turns).toBe(36);
    expect(peak).toBe(max); // the cap was reached (there was contention) and never passed
    expect(await new LeaseSemaphore(members[0]!, { path, maxLeases: max }).leases()).toEqual([]);
  });

  it('an uncontended acquire sends one create and one getChildren together, and release one delete', async () => {
    const s = await session();
    const sem = new LeaseSemaphore(s, { path: '/sem/cost', maxLeases: 3 });
    await sem.acquire().then((l) => l.release()); // first use creates the parent
    const before = { ...s.counts.byOp };
    const lease = await sem.acquire();
    const mid = { ...s.counts.byOp };
    await lease.release();
    const delta = (a: Record<string, number>, b: Record<string, number>) =>
      Object.fromEntries(Object.keys(b).filter((k) => (b[k] ?? 0) !== (a[k] ?? 0)).map((k) => [k, (b[k] ?? 0) - (a[k] ?? 0)]));
    expect(delta(before, mid)).toEqual({ create: 1, getChildren: 1 });
    expect(delta(mid, s.counts.byOp)).toEqual({ remove: 1 });
  });

  it('a SIGKILLed holder process loses its lease with its session, and the waiter behind it gets it', async () => {
    const path = '/sem/killed';
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, zk.connectString, path, '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const held = await new Promise<{ lease: string }>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => resolve(JSON.parse(l) as { lease: string }));
      child.once('exit', () => reject(new Error(`holder exited before holding: ${stderr}`)));
    });
    const sem = new LeaseSemaphore(await session(), { path, maxLeases: 1, holder: 'parent' });
    await expect(sem.acquire({ timeoutMs: 300 })).rejects.toBeInstanceOf(SemaphoreTimeoutError);
    const waiting = sem.acquire({ timeoutMs: 30_000 });
    await eventually('the parent waits in line', async () => (await sem.leases()).length === 2, 5_000);
    const killedAt = Date.now();
    child.kill('SIGKILL');
    const lease = await waiting;
    const waitedMs = Date.now() - killedAt;
    expect((await sem.leases()).map((n) => `${path}/${n}`)).toEqual([lease.path]);
    expect(lease.path).not.toBe(held.lease);
    expect(waitedMs).toBeLessThan(15_000); // within the child's 4 s session timeout, with room for a loaded machine
    await lease.release();
  });

  it('aborting a waiting acquire removes its lease znode and rejects with the abort reason', async () => {
    const path = '/sem/abort';
    const holderSem = new LeaseSemaphore(await session(), { path, maxLeases: 1, holder: 'holder' });
    const waiterSem = new LeaseSemaphore(await session(), { path, maxLeases: 1, holder: 'waiter' });
    const held = await holderSem.acquire();
    const ctl = new AbortController();
    const waiting = waiterSem.acquire({ signal: ctl.signal });
    await eventually('the waiter is in line', async () => (await holderSem.leases()).length === 2, 5_000);
    const reason = new Error('operator gave up');
    ctl.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect((await holderSem.leases()).map((n) => `${path}/${n}`)).toEqual([held.path]);
    await held.release();
    // Nothing left behind blocks the next one: it gets the lease at once.
    const next = await waiterSem.acquire({ timeoutMs: 2_000 });
    await next.release();
  });

  it('a timed-out acquire rejects with SEMAPHORE_TIMEOUT and leaves no lease behind', async () => {
    const path = '/sem/timeout';
    const a = new LeaseSemaphore(await session(), { path, maxLeases: 1 });
    const b = new LeaseSemaphore(await session(), { path, maxLeases: 1 });
    const held = await a.acquire();
    await expect(b.acquire({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'SEMAPHORE_TIMEOUT' });
    expect(await a.leases()).toHaveLength(1);
    await held.release();
  });

  it('the waiter behind a waiter that became a holder is woken when any holder leaves (N = 2)', async () => {
    const path = '/sem/chain';
    const sems = await Promise.all(range(4).map(async (i) => new LeaseSemaphore(await session(), { path, maxLeases: 2, holder: `s${i}` })));
    const h1 = await sems[0]!.acquire();
    const h2 = await sems[1]!.acquire();
    const w1 = sems[2]!.acquire({ timeoutMs: 20_000 });
    await eventually('w1 in line', async () => (await sems[0]!.leases()).length === 3, 5_000);
    const w2 = sems[3]!.acquire({ timeoutMs: 20_000 });
    await eventually('w2 in line', async () => (await sems[0]!.leases()).length === 4, 5_000);
    // w1 is the head of the line; w2 watches only w1. The oldest holder leaves: w1 takes its place.
    await h1.release();
    const l1: Lease = await w1;
    // Now w2 is the head; the other original holder leaves, not the one w2 was watching.
    await h2.release();
    const l2 = await w2;
    expect((await sems[0]!.leases()).map((n) => `${path}/${n}`).sort()).toEqual([l1.path, l2.path].sort());
    await Promise.all([l1.release(), l2.release()]);
  });

  it('rejects a cap below 1 and a relative path before touching ZooKeeper', async () => {
    const s = await session();
    expect(() => new LeaseSemaphore(s, { path: '/sem/x', maxLeases: 0 })).toThrow(/maxLeases/);
    expect(() => new LeaseSemaphore(s, { path: 'sem/x', maxLeases: 1 })).toThrow(/absolute/);
  });
});
