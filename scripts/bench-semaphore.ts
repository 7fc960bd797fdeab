/**
 * What the fleet-wide lease semaphore costs in ZooKeeper requests and round
 * trips, on a private standalone ZooKeeper.
 *
 *   npx tsx scripts/bench-semaphore.ts [--acquires 200] [--sessions 6] [--cap 4]
 *
 * A round trip is counted each time the session goes from no request in
 * flight to one: requests sent together (pipelined) share one round trip.
 * Rows: an uncontended acquire and its release; acquires under contention
 * (`--sessions` sessions, at most `--cap` leases); and, for scale, one plain
 * exists() and a create, getChildren and delete sent one after another.
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { LeaseSemaphore, ZkSession } from '../src/coordination/index.js';
import { startZooKeeper } from '../src/servers/zookeeper.js';
import { markdownTable } from './markdown-table.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const ACQUIRES = arg('acquires', 200);
const SESSIONS = arg('sessions', 6);
const CAP = arg('cap', 4);

interface Tally {
  requests: number;
  roundTrips: number;
}

/** Counts requests and round trips of one session by wrapping its request methods. */
function instrument(s: ZkSession): Tally {
  const tally: Tally = { requests: 0, roundTrips: 0 };
  let inFlight = 0;
  const target = s as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const op of ['create', 'getData', 'exists', 'getChildren', 'setData', 'remove', 'mkdirp', 'multi']) {
    const original = target[op]!.bind(s);
    target[op] = (...a: unknown[]) => {
      tally.requests++;
      if (inFlight++ === 0) tally.roundTrips++;
      return original(...a).finally(() => inFlight--);
    };
  }
  return tally;
}

const p50 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));

async function openSession(connectString: string): Promise<{ s: ZkSession; t: Tally }> {
  const s = new ZkSession({ connectString });
  await s.start();
  return { s, t: instrument(s) };
}

async function measure(n: number, step: () => Promise<void>, t: Tally): Promise<{ requests: number; roundTrips: number; ms: number }> {
  const before = { ...t };
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await step();
    times.push(performance.now() - t0);
  }
  return { requests: (t.requests - before.requests) / n, roundTrips: (t.roundTrips - before.roundTrips) / n, ms: p50(times) };
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'spamzk-bench-sem-'));
  const zk = await startZooKeeper({ nodes: 1, baseDir: base });
  const rows: string[][] = [];
  const row = (what: string, r: { requests: number; roundTrips: number; ms: number }): void => {
    rows.push([what, fmt(r.requests), fmt(r.roundTrips), r.ms.toFixed(2)]);
  };
  try {
    const { s, t } = await openSession(zk.connectString);
    const sem = new LeaseSemaphore(s, { path: '/bench/uncontended', maxLeases: CAP });
    await (await sem.acquire()).release(); // creates the parent once
    row('exists() (one round trip, for scale)', await measure(ACQUIRES, () => s.exists('/').then(() => undefined), t));
    await s.mkdirp('/bench/seq');
    row('create, getChildren, delete one after another (for scale)', await measure(ACQUIRES, async () => {
      const p = await s.create('/bench/seq/n-', Buffer.alloc(0), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
      await s.getChildren('/bench/seq');
      await s.remove(p, -1);
    }, t));
    const acquireTimes: number[] = [];
    const releaseTimes: number[] = [];
    const acq = { requests: 0, roundTrips: 0 };
    const rel = { requests: 0, roundTrips: 0 };
    for (let i = 0; i < ACQUIRES; i++) {
      let mark = { ...t };
      let t0 = performance.now();
      const lease = await sem.acquire();
      acquireTimes.push(performance.now() - t0);
      acq.requests += t.requests - mark.requests;
      acq.roundTrips += t.roundTrips - mark.roundTrips;
      mark = { ...t };
      t0 = performance.now();
      await lease.release();
      releaseTimes.push(performance.now() - t0);
      rel.requests += t.requests - mark.requests;
      rel.roundTrips += t.roundTrips - mark.roundTrips;
    }
    row('LeaseSemaphore acquire, uncontended', { requests: acq.requests / ACQUIRES, roundTrips: acq.roundTrips / ACQUIRES, ms: p50(acquireTimes) });
    row('LeaseSemaphore release', { requests: rel.requests / ACQUIRES, roundTrips: rel.roundTrips / ACQUIRES, ms: p50(releaseTimes) });
    await s.close();

    const members = await Promise.all(Array.from({ length: SESSIONS }, () => openSession(zk.connectString)));
    const perMember = Math.ceil(ACQUIRES / SESSIONS);
    const waits: number[] = [];
    let holding = 0;
    let peak = 0;
    const before = members.map((m) => ({ ...m.t }));
    await Promise.all(members.map(async (m, i) => {
      const csem = new LeaseSemaphore(m.s, { path: '/bench/contended', maxLeases: CAP, holder: `m${i}` });
      for (let k = 0; k < perMember; k++) {
        const t0 = performance.now();
        const l = await csem.acquire();
        waits.push(performance.now() - t0);
        peak = Math.max(peak, ++holding);
        await new Promise((r) => setTimeout(r, 2));
        holding--;
        await l.release();
      }
    }));
    const total = (k: keyof Tally) => members.reduce((sum, m, i) => sum + m.t[k] - before[i]![k], 0);
    const n = perMember * SESSIONS;
    row(`acquire + release, ${SESSIONS} sessions, cap ${CAP} (peak holders ${peak})`, { requests: total('requests') / n, roundTrips: total('roundTrips') / n, ms: p50(waits) });
    await Promise.all(members.map((m) => m.s.close()));
  } finally {
    await zk.stop();
    rmSync(base, { recursive: true, force: true });
  }
  console.log(`ZooKeeper cost of LeaseSemaphore, standalone ZooKeeper on 127.0.0.1, ${ACQUIRES} acquires per row\n`);
  console.log(markdownTable(['operation', 'requests', 'round trips', 'p50 ms (acquire: until held)'], rows));
  console.log('\nUncontended, an acquire is its create and getChildren sent together (one round trip); release is one delete (one round trip).');
}

await main();
