/**
 * Coordination cost of the claim protocol on real ZooKeeper (standalone and a
 * 3-node ensemble), with processors doing empty work plus one heartbeat.
 *
 *   npx tsx scripts/bench-coordination.ts [--batches 500] [--big 10000] [--skip-ensemble] [--processes 8|4,8|none]
 *
 * Per configuration: ZooKeeper requests and writes per batch (everything the
 * processors sent, planning and idle polling included, divided by batches),
 * latency of claim (create + ownership), heartbeat and commit, lost races,
 * and throughput. Then the per-batch cost of 100 vs 10,000 batches, and the
 * time to plan 10,000 batches. "in-process" rows run every processor in this
 * Node process (they share one event loop); "processes" rows run one OS
 * process per processor, truly concurrent as in a fleet (on a 2-core machine
 * they still share the cores with ZooKeeper's JVMs).
 */
import { cpus, loadavg } from 'node:os';
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_ROOT, Processor, ZkSession, openJob, type Batch } from '../src/coordination/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../src/servers/zookeeper.js';
import { markdownTable } from './markdown-table.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const BATCHES = arg('batches', 500);
const BIG = arg('big', 10_000);
const SKIP_ENSEMBLE = args.includes('--skip-ensemble');
/** Fleet sizes also run as one OS process per processor (--processes 4,8; --processes none to skip). */
const processesArg = args.includes('--processes') ? args[args.indexOf('--processes') + 1]! : '8';
const FLEET_PROCESSES = processesArg === 'none' ? [] : processesArg.split(',').map(Number);
let jobSeq = 0;
const run = promisify(execFile);

type Fleet = 'in-process' | 'processes';

interface Row {
  zk: string;
  fleet: Fleet;
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

/** What one group of processors (in one OS process) measured. */
interface Samples {
  claim: number[];
  commit: number[];
  heartbeat: number[];
  overhead: number[];
  requests: number;
  writes: number;
  committed: number;
  lost: number;
  /** Wall-clock ms (same machine) of the first claim and the last commit. */
  firstClaimAt: number;
  lastCommitAt: number;
}

/** Runs `ids.length` processors in this process on a planned job, doing empty work plus one heartbeat per batch. */
async function runProcessors(connectString: string, jobId: string, ids: string[], batches: number): Promise<Samples> {
  const spec = { jobId, sourceId: 'bench', modelId: 'none', batchSize: 100 };
  const out: Samples = { claim: [], commit: [], heartbeat: [], overhead: [], requests: 0, writes: 0, committed: 0, lost: 0, firstClaimAt: Infinity, lastCommitAt: 0 };
  const procs = ids.map((id) => {
    const p = new Processor({ connectString, processorId: id, sessionTimeoutMs: 10_000, staleAfterMs: 30_000, heartbeatIntervalMs: 0 });
    p.on('claimed', () => (out.firstClaimAt = Math.min(out.firstClaimAt, Date.now())));
    p.on('committed', (e) => {
      out.claim.push(e.claimMs);
      out.commit.push(e.commitMs);
      out.overhead.push(e.claimMs + e.workMs + e.commitMs);
      out.lastCommitAt = Date.now();
    });
    return p;
  });
  const summaries = await Promise.all(
    procs.map((p) =>
      p.run({ spec, plan: () => makeBatches(batches) }, async (b, ctx) => {
        const h0 = performance.now();
        await ctx.heartbeat('half way');
        out.heartbeat.push(performance.now() - h0);
        return Buffer.from(String(b.index));
      }),
    ),
  );
  for (const c of procs.map((p) => p.requestCounts)) {
    out.requests += c.reads + c.writes;
    out.writes += c.writes;
  }
  out.committed = summaries.reduce((n, x) => n + x.committed, 0);
  out.lost = summaries.reduce((n, x) => n + x.lostRaces, 0);
  return out;
}

/** One processor per OS process: true concurrency between processors, as in a fleet. */
async function runProcessorsAsProcesses(connectString: string, jobId: string, ids: string[], batches: number): Promise<Samples[]> {
  const script = fileURLToPath(import.meta.url);
  return Promise.all(
    ids.map(async (id) => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script, '--child', JSON.stringify({ connectString, jobId, id, batches })], {
        maxBuffer: 64 * 1024 * 1024,
        timeout: 600_000,
      });
      return JSON.parse(stdout.trim().split('\n').at(-1)!) as Samples;
    }),
  );
}

async function runJob(zk: ZooKeeperCluster, label: string, processors: number, batches: number, fleet: Fleet = 'in-process'): Promise<Row> {
  const jobId = `bench-${++jobSeq}`;
  const ids = Array.from({ length: processors }, (_, i) => `b${jobSeq}p${i}`);
  let parts: Samples[];
  if (fleet === 'processes') {
    // Planned up front, so that the processes' staggered start-up does not decide who plans.
    const s = new ZkSession({ connectString: zk.connectString });
    await s.start();
    await openJob(s, DEFAULT_ROOT, { jobId, sourceId: 'bench', modelId: 'none', batchSize: 100 }, () => makeBatches(batches));
    await s.close();
    parts = await runProcessorsAsProcesses(zk.connectString, jobId, ids, batches);
  } else {
    parts = [await runProcessors(zk.connectString, jobId, ids, batches)];
  }
  const all = <K extends 'claim' | 'commit' | 'heartbeat' | 'overhead'>(k: K) => parts.flatMap((p) => p[k]);
  const sum = (k: 'requests' | 'writes' | 'committed' | 'lost') => parts.reduce((n, p) => n + p[k], 0);
  const committed = sum('committed');
  const lost = sum('lost');
  if (committed !== batches) throw new Error(`${label}: ${committed} commits for ${batches} batches`);
  const wallS = (Math.max(...parts.map((p) => p.lastCommitAt)) - Math.min(...parts.map((p) => p.firstClaimAt))) / 1000;
  return {
    zk: label,
    fleet,
    processors,
    batches,
    wallS,
    batchesPerS: batches / wallS,
    requestsPerBatch: sum('requests') / batches,
    writesPerBatch: sum('writes') / batches,
    claimP50: pct(all('claim'), 50),
    heartbeatP50: pct(all('heartbeat'), 50),
    commitP50: pct(all('commit'), 50),
    overheadP50: pct(all('overhead'), 50),
    overheadP95: pct(all('overhead'), 95),
    lostRacePct: (100 * lost) / (committed + lost),
  };
}

async function planTime(zk: ZooKeeperCluster, n: number): Promise<number> {
  const s = new ZkSession({ connectString: zk.connectString });
  await s.start();
  try {
    const plan = makeBatches(n);
    const t0 = performance.now();
    await openJob(s, DEFAULT_ROOT, { jobId: `plan-${++jobSeq}`, sourceId: 'bench', modelId: 'none', batchSize: 100 }, () => plan);
    return performance.now() - t0;
  } finally {
    await s.close();
  }
}

function printTable(rows: Row[]): void {
  const head = ['zk', 'fleet', 'procs', 'batches', 'wall s', 'batches/s', 'req/batch', 'writes/batch', 'claim p50 ms', 'hb p50 ms', 'commit p50 ms', 'overhead p50 ms', 'overhead p95 ms', 'lost races %'];
  const body = rows.map((r) => [
    r.zk,
    r.fleet,
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
  console.log(markdownTable(head, body, 'right'));
}

async function withCluster<T>(nodes: 1 | 3, fn: (zk: ZooKeeperCluster) => Promise<T>): Promise<T> {
  const zk = await startZooKeeper({ nodes, tickTimeMs: 2_000 });
  try {
    return await fn(zk);
  } finally {
    await zk.stop();
  }
}

if (args[0] === '--child') {
  const { connectString, jobId, id, batches } = JSON.parse(args[1]!) as { connectString: string; jobId: string; id: string; batches: number };
  const samples = await runProcessors(connectString, jobId, [id], batches);
  process.stdout.write(JSON.stringify(samples) + '\n');
} else {
  await main();
}

async function main(): Promise<void> {
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
        console.error(`${label} ${p} processors in one process: ${row.batchesPerS.toFixed(0)} batches/s`);
      }
      for (const p of FLEET_PROCESSES) {
        // More batches: the processes start one by one (~1 s each to load), and should overlap for most of the job.
        const row = await runJob(zk, label, p, Math.max(BATCHES, 2_000), 'processes');
        rows.push(row);
        console.error(`${label} ${p} processes: ${row.batchesPerS.toFixed(0)} batches/s`);
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
  console.log('lost races = claim multis that failed because another processor claimed first, % of claims; wall s = first claim to last commit.');
}
