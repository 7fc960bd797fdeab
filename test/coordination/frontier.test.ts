/**
 * Checkpoint folding and the open frontier (src/coordination/frontier.ts)
 * against a real ZooKeeper: folding keeps the invariant (no batch skipped,
 * none committed twice), a processor joining after folding reads only the
 * frontier, and a commit on a folded batch is still fenced.
 */
import zookeeper from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extendJob, JobPaths, Processor, readCheckpoint, readDoneMarkers, readJobStatus, ZkSession } from '../../src/coordination/index.js';
import { foldCheckpointIfUnchanged } from '../../src/coordination/frontier.js';
import { commitBatchIfClaimStands } from '../../src/coordination/transactions.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { makeBatches, openSession } from './helpers.js';

const ROOT = '/frontier-test';
let zk: ZooKeeperCluster;
let admin: ZkSession;

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1 });
  admin = await openSession(zk.connectString);
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await zk?.stop();
});

function processor(id: string): Processor {
  return new Processor({ connectString: zk.connectString, root: ROOT, processorId: id, sessionTimeoutMs: 4_000, idlePollMs: 50, foldMin: 8 });
}

const spec = (jobId: string) => ({ jobId, sourceId: 'frontier', modelId: 'none', batchSize: 10 });
const work = async (b: { index: number }) => Buffer.from(`result ${b.index}`);

describe('checkpoint folding', () => {
  it('folds every closed batch into the checkpoint; a processor joining after folding commits only the new batches, each once', async () => {
    const jobId = 'fold-join';
    const p = new JobPaths(ROOT, jobId);
    const first = await processor('p_first').run({ spec: spec(jobId), plan: async () => makeBatches(40) }, work);
    expect(first.committed).toBe(40);
    expect((await readCheckpoint(admin, p)).checkpoint).toEqual({ closedBelow: 40, committed: 40, quarantined: 0, messages: 400 });

    await extendJob(admin, ROOT, jobId, makeBatches(5, 40));
    const late = processor('p_late');
    const summary = await late.run({ spec: spec(jobId) }, work);
    expect(summary.committed).toBe(5);
    expect(summary.fenced + summary.lostRaces).toBe(0);
    // Its rounds read the plan, the checkpoint and the 5 batch nodes of the frontier, never the 40 folded ones.
    expect(late.requestCounts.byOp.getData ?? 0).toBeLessThan(40);

    const markers = await readDoneMarkers(admin, ROOT, jobId);
    expect(markers.map((m) => m.batch)).toEqual(Array.from({ length: 45 }, (_, b) => b));
    expect(markers.filter((m) => m.batch >= 40).every((m) => m.processorId === 'p_late')).toBe(true);
    expect((await readCheckpoint(admin, p)).checkpoint).toEqual({ closedBelow: 45, committed: 45, quarantined: 0, messages: 450 });
    const status = await readJobStatus(admin, ROOT, jobId);
    expect(status).toMatchObject({ batchCount: 45, done: 45, pending: 0, complete: true });
  }, 120_000);

  it('rejects a commit on a folded batch, whether made at the version it had while open or at its closed version', async () => {
    const jobId = 'fold-fence';
    const p = new JobPaths(ROOT, jobId);
    await processor('p_owner').run({ spec: spec(jobId), plan: async () => makeBatches(16) }, work);
    expect((await readCheckpoint(admin, p)).checkpoint.closedBelow).toBe(16);
    const batch = makeBatches(16)[3]!;
    // A stuck processor's claim on batch 3, as if made before the batch was committed and folded.
    const claim = await admin.create(`${p.batch(3)}/claim-p_stuck-abcdef-`, Buffer.from('{}'), zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
    const claimName = claim.slice(claim.lastIndexOf('/') + 1);
    const header = { processorId: 'p_stuck', claimSeq: 0, attempt: 1, claimedAt: 0 };
    for (const version of [1, 2]) {
      const err = await commitBatchIfClaimStands(admin, p, batch, version, claimName, header, Buffer.from('late'), []).then(
        () => undefined,
        (e: unknown) => e as { zkCode?: number },
      );
      expect(err?.zkCode).toBe(version === 1 ? zookeeper.Exception.BAD_VERSION : zookeeper.Exception.NODE_EXISTS);
    }
    const marker = (await readDoneMarkers(admin, ROOT, jobId))[3]!;
    expect(marker.processorId).toBe('p_owner');
    expect(marker.result.toString()).toBe('result 3');
  }, 120_000);

  it('never lowers the checkpoint: a fold over a version another folder has moved is refused', async () => {
    const jobId = 'fold-race';
    const p = new JobPaths(ROOT, jobId);
    await processor('p_racer').run({ spec: spec(jobId), plan: async () => makeBatches(20) }, work);
    const { checkpoint, version } = await readCheckpoint(admin, p);
    expect(checkpoint.closedBelow).toBe(20);
    const stale = { closedBelow: 8, committed: 8, quarantined: 0, messages: 80 };
    expect(await foldCheckpointIfUnchanged(admin, p, stale, version - 1)).toBe(false);
    expect(await foldCheckpointIfUnchanged(admin, p, stale, -1)).toBe(false);
    expect((await readCheckpoint(admin, p)).checkpoint).toEqual(checkpoint);
  }, 120_000);
});
