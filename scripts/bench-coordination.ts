/**
 * Coordination cost of the claim protocol on real ZooKeeper (standalone and a
 * 3-node ensemble), with processors doing empty work plus one heartbeat.
 *
 *   npx tsx scripts/bench-coordination.ts [--batches 500] [--big 10000] [--skip-ensemble]
 *
 * Per configuration: ZooKeeper requests and writes per batch (everything the
 * processors sent, planning and idle polling included, divided by batches),
 * latency of claim (create + ownership), heartbeat and commit, lost races,
 * and throughput. Then the per-batch cost of 100 vs 10,000 batches, and the
 * time to plan 10,000 batches. All processors run in this one Node process
 * (on a 2-core machine they share one core with ZooKeeper's JVMs).
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Processor, ZkSession, openJob, type Batch } from '../src/coordination/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../src/servers/zookeeper.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const BATCHES = arg('batches', 500);
const BIG = arg('big', 10_000);
const SKIP_ENSEMBLE = args.includes('--skip-ensemble');
let jobSeq = 0;

interface Row {
  zk: string;
  processors: number;
  batches: number;
  wallS: number;
  batchesPerS: number;
  requestsPerBatch: number;
  writesPerBatch: number;
  claimP50: number;
  heartbeatP50: number;
  commitP50: number;
  overheadP50: number;
  overheadP95: number;
  lostRacePct: number;
}

function makeBatches(n: number): Batch[] {
  return Array.from({ length: n }, (_, i) => ({ index: i, first: i * 100, last: i * 100 + 99, count: 100 }));
}

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function runJob(zk: ZooKeeperCluster, label: string, processors: number, batches: number): Promise<Row> {
  const jobId = `bench-${++jobSeq}`;
  const spec = { jobId, sourceId: 'bench', modelId: 'none', batchSize: 100 };
  const plan = makeBatches(batches);
  const claim: number[] = [];
  const commit: number[] = [];
  const heartbeat: number[] = [];
  const overhead: number[] = [];
  const procs = Array.from({ length: processors }, (_, i) => {
    const p = new Processor({ connectString: zk.connectString, processorId: `b${jobSeq}p${i}`, sessionTimeoutMs: 10_000, staleAfterMs: 30_000, heartbeatIntervalMs: 0 });
    p.on('committed', (e) => {
      claim.push(e.claimMs);
      commit.push(e.commitMs);
      overhead.push(e.claimMs + e.workMs + e.commitMs);
    });
    return p;
  });
  const t0 = performance.now();
  const summaries = await Promise.all(
    procs.map((p) =>
      p.run({ spec, plan: () => plan }, async (b, ctx) => {
        const h0 = performance.now();
        await ctx.heartbeat('half way');
        heartbeat.push(performance.now() - h0);
        return Buffer.from(String(b.index));
      }),
    ),
  );
  const wallS = (performance.now() - t0) / 1000;
  const counts = procs.map((p) => p.requestCounts);
  const requests = counts.reduce((n, c) => n + c.reads + c.writes, 0);
  const writes = counts.reduce((n, c) => n + c.writes, 0);
  const committed = summaries.reduce((n, s) => n + s.committed, 0);
  const lost = summaries.reduce((n, s) => n + s.lostRaces, 0);
  if (committed !== batches) throw new Error(`${label}: ${committed} commits for ${batches} batches`);
  return {
    zk: label,
    processors,
    batches,
    wallS,
    batchesPerS: batches / wallS,
    requestsPerBatch: requests / batches,
    writesPerBatch: writes / batches,
    claimP50: pct(claim, 50),
    heartbeatP50: pct(heartbeat, 50),
    commitP50: pct(commit, 50),
    overheadP50: pct(overhead, 50),
    overheadP95: pct(overhead, 95),
    lostRacePct: (100 * lost) / (committed + lost),
  };
}

async function planTime(zk: ZooKeeperCluster, n: number): Promise<number> {
  const s = new ZkSession({ connectString: zk.connectString });
  await s.start();
  try {
    const plan = makeBatches(n);
    const t0 = performance.now();
    await openJob(s, '/spamzk', { jobId: `plan-${++jobSeq}`, sourceId: 'bench', modelId: 'none', batchSize: 100 }, () => plan);
    return performance.now() - t0;
  } finally {
    await s.close();
  }
}

function printTable(rows: Row[]): void {
  const head = ['zk', 'procs', 'batches', 'wall s', 'batches/s', 'req/batch', 'writes/batch', 'claim p50 ms', 'hb p50 ms', 'commit p50 ms', 'overhead p50 ms', 'overhead p95 ms', 'lost races %'];
  const body = rows.map((r) => [
    r.zk,
    String(r.processors),
    String(r.batches),
    r.wallS.toFixed(2),
    r.batchesPerS.toFixed(0),
    r.requestsPerBatch.toFixed(2),
    r.writesPerBatch.toFixed(2),
    r.claimP50.toFixed(2),
    r.heartbeatP50.toFixed(2),
    r.commitP50.toFixed(2),
    r.overheadP50.toFixed(2),
    r.overheadP95.toFixed(2),
    r.lostRacePct.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padStart(widths[i]!)).join(' | ') + ' |';
  console.log(line(head));
  console.log('|' + widths.map((w) => '-'.repeat(w + 1) + ':').join('|') + '|');
  for (const r of body) console.log(line(r));
}

async function withCluster<T>(nodes: 1 | 3, fn: (zk: ZooKeeperCluster) => Promise<T>): Promise<T> {
  const zk = await startZooKeeper({ nodes, tickTimeMs: 2_000 });
  try {
    return await fn(zk);
  } finally {
    await zk.stop();
  }
}

const loadAtStart = loadavg()[0]!;
const rows: Row[] = [];
const scaling: Row[] = [];
const planning: string[] = [];
const kinds: [string, 1 | 3][] = SKIP_ENSEMBLE ? [['standalone', 1]] : [['standalone', 1], ['ensemble-3', 3]];
for (const [label, nodes] of kinds) {
  await withCluster(nodes, async (zk) => {
    for (const p of [1, 2, 4, 8]) {
      const row = await runJob(zk, label, p, BATCHES);
      rows.push(row);
      console.error(`${label} ${p} processors: ${row.batchesPerS.toFixed(0)} batches/s`);
    }
    if (nodes === 1) {
      scaling.push(await runJob(zk, label, 4, 100));
      scaling.push(await runJob(zk, label, 4, BIG));
    }
    planning.push(`${label}: planning ${BIG} batches took ${(await planTime(zk, BIG)).toFixed(0)} ms`);
  });
}

console.log(`\nCoordination cost per batch (empty work + 1 heartbeat), ${BATCHES} batches per job; ${cpus().length} cores, load average ${loadAtStart.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end\n`);
printTable(rows);
console.log(`\nCost per batch vs job size (standalone, 4 processors)\n`);
printTable(scaling);
console.log('');
for (const line of planning) console.log(line);
console.log('\nclaim = look (2 pipelined reads) + the claim multi (check batch version, create claim, create attempt node); hb = one heartbeat (versioned setData);');
console.log('commit = the fenced commit multi; overhead = claim + worker (the heartbeat) + commit, per batch;');
console.log('req/batch and writes/batch = every request the processors sent (planning, registration, look-ups, idle polling) / batches;');
console.log('lost races = claim multis that failed because another processor claimed first, % of claims.');
