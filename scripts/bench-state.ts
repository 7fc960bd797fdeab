/**
 * ZooKeeper cost of a cadence job's round and pass as its history grows:
 * the layout before (every round lists done/, quarantine/ and processors/;
 * every pass reads every batch node to find the last key) against the
 * frontier and checkpoint (a round reads the plan, the checkpoint and the
 * batch nodes from closedBelow on; a pass reads the plan and its last batch).
 *
 *   npx tsx scripts/bench-state.ts [--batches 100000] [--repeat 5]
 *
 * The job is simulated directly in ZooKeeper (no mail): N batches, each
 * committed (batch node closed, done marker with a 100-byte result), then one
 * new open batch, as a pass of `--every` leaves it. "before" issues the very
 * requests main's Processor.round and planNewMail issued; "after" calls the
 * functions the processor and the pass now use (readFrontier, readPlanTail).
 */
import { performance } from 'node:perf_hooks';
import { extendJob, JobPaths, openJob, readFrontier, readPlanTail, ZkSession, type Batch } from '../src/coordination/index.js';
import { foldCheckpointIfUnchanged, foldedCheckpoint } from '../src/coordination/frontier.js';
import { readPlan } from '../src/coordination/planner.js';
import { decodeJson, encodeDone, encodeJson, type StoredBatch } from '../src/coordination/records.js';
import { startZooKeeper } from '../src/servers/zookeeper.js';
import { markdownTable } from './markdown-table.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const BATCHES = arg('batches', 100_000);
const REPEAT = arg('repeat', 5);
const ROOT = '/bench-state';
const CHUNK = 500;

function batches(n: number, from = 0): Batch[] {
  return Array.from({ length: n }, (_, k) => ({ index: from + k, first: (from + k) * 10 + 1, last: (from + k) * 10 + 10, count: 10 }));
}

async function session(connectString: string): Promise<ZkSession> {
  const s = new ZkSession({ connectString, requestTimeoutMs: 120_000, sessionTimeoutMs: 40_000 });
  await s.start();
  return s;
}

/**
 * Plans N batches and commits every one of them as the commit multi would
 * (batch closed + done marker). On a loaded machine a multi may lose its
 * connection: a new session carries on from the first chunk not applied.
 */
async function simulateHistory(connectString: string, p: JobPaths): Promise<void> {
  const all = batches(BATCHES);
  let s = await session(connectString);
  await openJob(s, ROOT, { jobId: p.jobId, sourceId: 'bench', modelId: 'none', batchSize: 10 }, async () => all);
  for (let i = 0; i < all.length; i += CHUNK) {
    for (;;) {
      try {
        if (!(await s.exists(p.done(i)))) await commitChunk(s, p, all.slice(i, i + CHUNK));
        break;
      } catch (err) {
        console.error(`chunk at ${i}: ${(err as Error).message}; retrying on a new session`);
        await s.close();
        s = await session(connectString);
      }
    }
  }
  await extendJob(s, ROOT, p.jobId, batches(1, BATCHES)); // the pass's new mail: one open batch
  await s.close();
}

async function commitChunk(s: ZkSession, p: JobPaths, chunk: Batch[]): Promise<void> {
  const result = Buffer.alloc(100, 1);
  {
    await s.multi(`commit ${chunk[0]!.index}`, (tx) => {
      for (const b of chunk) {
        const closed: StoredBatch = { first: b.first, last: b.last, count: b.count, state: 'done' };
        tx.setData(p.batch(b.index), encodeJson(closed), 1);
        tx.create(p.done(b.index), encodeDone({ processorId: 'sim', claimSeq: b.index, attempt: 1, claimedAt: 0 }, result), s.acl, 0);
      }
    });
  }
}

/** main's round: the plan, then listings of done/, quarantine/ and processors/, and the open set from them. */
async function oldRound(s: ZkSession, p: JobPaths): Promise<number> {
  const plan = await readPlan(s, p);
  const [done, quarantined] = await Promise.all([s.getChildren(p.doneDir), s.getChildren(p.quarantineDir), s.getChildren(p.processorsDir)]);
  const closed = new Set([...done, ...quarantined].map((n) => Number.parseInt(n, 10)));
  let open = 0;
  for (let b = 0; b < plan.batchCount; b++) if (!closed.has(b)) open++;
  return open;
}

/** main's pass: every batch node, for the last key and the count. */
async function oldPass(s: ZkSession, p: JobPaths): Promise<number> {
  const plan = await readPlan(s, p);
  let lastKey = 0;
  for (let i = 0; i < plan.batchCount; i += 64) {
    const got = await Promise.all(
      Array.from({ length: Math.min(64, plan.batchCount - i) }, (_, k) => s.getData(p.batch(i + k)).then(({ data }) => decodeJson<StoredBatch>(data, 'batch').last)),
    );
    for (const last of got) lastKey = Math.max(lastKey, last);
  }
  return lastKey;
}

async function newRound(s: ZkSession, p: JobPaths): Promise<number> {
  const [frontier] = await Promise.all([readFrontier(s, p), s.getChildren(p.processorsDir)]);
  const next = foldedCheckpoint(frontier);
  if (next) await foldCheckpointIfUnchanged(s, p, next, frontier.checkpointVersion);
  return frontier.batches.filter((b) => b.state === undefined).length;
}

async function newPass(s: ZkSession, p: JobPaths): Promise<number> {
  return (await readPlanTail(s, p)).lastKey;
}

interface Cost {
  requests: number;
  ms: number;
}

/** Median time and requests of `op` over REPEAT runs, on a session of its own (so the counts are the op's alone). */
async function measure(connectString: string, op: (s: ZkSession) => Promise<unknown>, repeat = REPEAT): Promise<Cost> {
  const s = await session(connectString);
  try {
    const times: number[] = [];
    let requests = 0;
    for (let i = 0; i < repeat; i++) {
      const before = s.counts.reads + s.counts.writes;
      const t = performance.now();
      await op(s);
      times.push(performance.now() - t);
      requests = s.counts.reads + s.counts.writes - before;
    }
    times.sort((a, b) => a - b);
    return { requests, ms: times[Math.floor(times.length / 2)]! };
  } finally {
    await s.close();
  }
}

async function main(): Promise<void> {
  // Long ticks allow a 40 s session, and a larger heap holds 200k znodes: a loaded 2-core machine stalls the JVM.
  const zk = await startZooKeeper({ nodes: 1, tickTimeMs: 2_000, jvmFlags: ['-Xmx1g'] });
  try {
    const p = new JobPaths(ROOT, 'job-bench-state');
    const t = performance.now();
    await simulateHistory(zk.connectString, p);
    console.error(`simulated ${BATCHES} committed batches + 1 open in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const before = { round: await measure(zk.connectString, (x) => oldRound(x, p)), pass: await measure(zk.connectString, (x) => oldPass(x, p), 3) };
    const upgrade = await measure(zk.connectString, (x) => newRound(x, p), 1); // the first round folds the whole history once
    const after = { round: await measure(zk.connectString, (x) => newRound(x, p)), pass: await measure(zk.connectString, (x) => newPass(x, p)) };
    const row = (what: string, c: Cost): string[] => [what, String(c.requests), c.ms.toFixed(1)];
    console.log(`A cadence job with ${BATCHES} committed batches and 1 open one (ZooKeeper 3.8 standalone, median of ${REPEAT})\n`);
    console.log(
      markdownTable(
        ['', 'ZooKeeper requests', 'ms'],
        [
          row('round, before (lists done/, quarantine/, processors/)', before.round),
          row('round, after (plan, checkpoint, frontier, processors/)', after.round),
          row('first round after upgrade (folds the history once)', upgrade),
          row('pass, before (reads every batch node)', before.pass),
          row('pass, after (plan and its last batch)', after.pass),
        ],
      ),
    );
  } finally {
    await zk.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
