/**
 * `spamzk jobs`, `jobs delete` and `jobs prune` through the real CLI against a
 * real ZooKeeper; and the two races a delete must win: a processor that was
 * running when its job was deleted, and one that starts while a delete is under
 * way, must neither resurrect the job nor commit into it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobDeletedError, JobPaths, Processor, ZkSession, type Batch } from '../../src/coordination/index.js';
import { encodeBatchResult } from '../../src/pipeline/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { delay } from '../../src/shared/index.js';
import { runCli } from '../pipeline/harness.js';
import { tempDirs } from '../support/temp-dirs.js';

const temp = tempDirs();
let zk: ZooKeeperCluster;
let admin: ZkSession;

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1 });
  admin = new ZkSession({ connectString: zk.connectString });
  await admin.start();
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await zk?.stop();
  temp.removeAll();
});

/** Three batches of four keys each (1–4, 5–8, 9–12). */
const PLAN: Batch[] = [0, 1, 2].map((index) => ({ index, first: index * 4 + 1, last: index * 4 + 4, count: 4 }));

function spec(jobId: string) {
  return { jobId, sourceId: `fixture:${jobId}`, modelId: 'model-1', batchSize: 4 };
}

function processor(root: string, id: string): Processor {
  return new Processor({ connectString: zk.connectString, root, processorId: id, sessionTimeoutMs: 4_000, idlePollMs: 100 });
}

async function verdictsOf(batch: Batch): Promise<Buffer> {
  const messages = [];
  for (let key = batch.first; key <= batch.last; key++) messages.push({ key, verdict: key % 2 ? ('spam' as const) : ('ham' as const), score: key % 2 ? 0.9 : 0.1 });
  return encodeBatchResult({ messages, fetchMs: 1, classifyMs: 1, stallMs: 0 });
}

async function completeJob(root: string, jobId: string): Promise<void> {
  const summary = await processor(root, `p_${jobId.replaceAll('-', '_')}`).run({ spec: spec(jobId), plan: async () => PLAN }, verdictsOf);
  expect(summary.complete).toBe(true);
}

function cli(args: string[], root: string) {
  return runCli([...args, '--zk', zk.connectString, '--zk-root', root]);
}

interface ListedJob {
  jobId: string;
  state: string;
  batchCount: number;
  messages: number;
  znodes: number;
  bytes: number;
  ageMs: number;
  spec: { sourceId: string; modelId: string };
}

describe('spamzk jobs', () => {
  it('lists every job with its source, model, state, batches, messages, size in ZooKeeper and age', async () => {
    const root = '/jobs-list';
    await completeJob(root, 'job-a');
    await completeJob(root, 'job-b');
    const listed = await cli(['jobs', '--json'], root);
    expect(listed.code, listed.stderr).toBe(0);
    const jobs = JSON.parse(listed.stdout) as ListedJob[];
    expect(jobs.map((j) => j.jobId)).toEqual(['job-a', 'job-b']);
    for (const j of jobs) {
      expect(j).toMatchObject({ state: 'complete', batchCount: 3, messages: 12, spec: { sourceId: `fixture:${j.jobId}`, modelId: 'model-1' } });
      // job, plan, batches/, 3 batches, done/, 3 markers, quarantine/, events/, processors/, checkpoint, complete
      expect(j.znodes).toBe(15);
      expect(j.bytes).toBeGreaterThan(3 * 40);
      expect(j.ageMs).toBeGreaterThanOrEqual(0);
    }
    const text = await cli(['jobs'], root);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/job-a\s+complete\s+3\s+12\s+15\s/);
  }, 120_000);
});

describe('spamzk jobs delete', () => {
  it('refuses a running job, deletes it with --force; the processor that ran it stops and does not resurrect it', async () => {
    const root = '/jobs-delete';
    const p = new JobPaths(root, 'job-live');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let claimed!: () => void;
    const claimedBatch = new Promise<void>((r) => (claimed = r));
    const live = processor(root, 'p_live');
    const running = live.run({ spec: spec('job-live'), plan: async () => PLAN }, async (batch) => {
      claimed();
      await released;
      return verdictsOf(batch);
    });
    await claimedBatch;

    const refused = await cli(['jobs', 'delete', 'job-live'], root);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/job job-live is running \(1 live processors, 1 claims held\).*--force/);
    expect(await admin.exists(p.plan)).toBeDefined();

    const forced = await cli(['jobs', 'delete', 'job-live', '--force'], root);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/deleted job job-live \(\d+ znodes\)/);
    release(); // the worker finishes after the delete: its commit must find nothing to commit into
    await expect(running).rejects.toBeInstanceOf(JobDeletedError);
    await live.close();
    expect(await admin.exists(p.job)).toBeUndefined();

    const again = await cli(['jobs', 'delete', 'job-live'], root);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already deleted');
  }, 120_000);

  it('an interrupted delete leaves a tombstone: a processor starting then is refused, and the next delete finishes the job', async () => {
    const root = '/jobs-tombstone';
    await completeJob(root, 'job-t');
    const p = new JobPaths(root, 'job-t');
    // What a delete killed after its first step leaves behind.
    await admin.create(`${p.job}/deleted`, Buffer.alloc(0), 0);
    const listed = JSON.parse((await cli(['jobs', '--json'], root)).stdout) as ListedJob[];
    expect(listed[0]).toMatchObject({ jobId: 'job-t', state: 'deleting' });

    const late = processor(root, 'p_late');
    let worked = 0;
    await expect(late.run({ spec: spec('job-t'), plan: async () => PLAN }, async (b) => (worked++, verdictsOf(b)))).rejects.toBeInstanceOf(JobDeletedError);
    await late.close();
    expect(worked).toBe(0);

    const finished = await cli(['jobs', 'delete', 'job-t'], root);
    expect(finished.code, finished.stderr).toBe(0);
    expect(await admin.exists(p.job)).toBeUndefined();
  }, 120_000);
});

describe('spamzk jobs prune', () => {
  it('archives the report of each completed job idle past --older-than, then deletes it; keeps an incomplete one without --force', async () => {
    const root = '/jobs-prune';
    await completeJob(root, 'job-old');
    // A job planned but never worked on: not complete.
    const idle = processor(root, 'p_idle');
    const idleRun = idle.run({ spec: spec('job-idle'), plan: async () => PLAN }, async (b) => {
      void idle.close(); // releases this claim uncounted: the job stays planned, with nothing done
      return verdictsOf(b);
    });
    await idleRun.catch(() => undefined);
    await delay(1_200);

    const archive = temp.make('spamzk-archive-');
    const bad = await cli(['jobs', 'prune', '--older-than', 'soon'], root);
    expect(bad.code).toBe(2);

    const pruned = await cli(['jobs', 'prune', '--older-than', '1s', '--archive-dir', archive, '--json'], root);
    expect(pruned.code, pruned.stderr).toBe(0);
    const results = JSON.parse(pruned.stdout) as { jobId: string; action: string; reason?: string }[];
    expect(results).toEqual([
      { jobId: 'job-idle', action: 'kept', reason: expect.stringContaining('not complete') },
      expect.objectContaining({ jobId: 'job-old', action: 'pruned' }),
    ]);
    const report = JSON.parse(readFileSync(join(archive, 'job-old', 'report.json'), 'utf8')) as { totals: { messages: number }; integrity: { ok: boolean } };
    expect(report.totals.messages).toBe(12);
    expect(report.integrity.ok).toBe(true);
    expect(existsSync(join(archive, 'job-old', 'report.md'))).toBe(true);
    expect(existsSync(join(archive, 'job-old', 'report.html'))).toBe(true);
    expect(await admin.exists(new JobPaths(root, 'job-old').job)).toBeUndefined();
    expect(await admin.exists(new JobPaths(root, 'job-idle').job)).toBeDefined();

    const forced = await cli(['jobs', 'prune', '--older-than', '1s', '--archive-dir', archive, '--force'], root);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('job-idle  pruned');
    expect(await admin.exists(new JobPaths(root, 'job-idle').job)).toBeUndefined();
  }, 120_000);
});
