/**
 * A Processor under a paused or draining job control, on a real ZooKeeper:
 * it claims nothing while paused, resumes without a restart, drains at once
 * when told, and a member started on a draining job stops without claiming.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeControl, JobPaths, openJob, Processor, readDoneMarkers, readJobStatus, type ControlState, type ZkSession } from '../../src/coordination/index.js';
import { PAUSED_REREAD_MS } from '../../src/coordination/control-gate.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { eventually, makeBatches, openSession } from '../coordination/helpers.js';
import { tempDirs } from '../support/temp-dirs.js';

const ROOT = '/paused';
const temp = tempDirs();
let zk: ZooKeeperCluster;
let admin: ZkSession;

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, baseDir: temp.make('spamzk-paused-zk-') });
  admin = await openSession(zk.connectString);
}, 60_000);

afterAll(async () => {
  await admin?.close();
  await zk?.stop();
  temp.removeAll();
});

const spec = (jobId: string) => ({ jobId, sourceId: 'test-source', modelId: 'test-model', batchSize: 10 });

async function jobIn(jobId: string, state: ControlState): Promise<JobPaths> {
  await openJob(admin, ROOT, spec(jobId), () => makeBatches(3));
  const p = new JobPaths(ROOT, jobId);
  await changeControl(admin, p, (c) => ({ ...c, state, changedAt: Date.now(), by: 'test' }));
  return p;
}

function processor(id: string): Processor {
  return new Processor({ connectString: zk.connectString, root: ROOT, processorId: id, sessionTimeoutMs: 6_000, staleAfterMs: 3_000 });
}

async function acknowledged(jobId: string, version: number): Promise<true | undefined> {
  const { processors } = await readJobStatus(admin, ROOT, jobId);
  return processors.length === 1 && processors[0]!.controlVersion === version ? true : undefined;
}

describe('a processor under the job control', () => {
  it('claims nothing while the job is paused, and completes it after a resume without a restart', async () => {
    const p = await jobIn('pause-then-resume', 'paused');
    const member = processor('pr1');
    const run = member.run({ spec: spec(p.jobId) }, async () => Buffer.from('x'));
    await eventually('the pause acknowledged', () => acknowledged(p.jobId, 0), 10_000);
    await new Promise((r) => setTimeout(r, 500)); // an observation window: nothing may be claimed in it
    expect(await readDoneMarkers(admin, ROOT, p.jobId)).toEqual([]);
    expect((await readJobStatus(admin, ROOT, p.jobId)).claimed).toBe(0);
    await changeControl(admin, p, (c) => ({ ...c, state: 'running', changedAt: Date.now(), by: 'test' }));
    const summary = await run;
    expect(summary).toMatchObject({ complete: true, committed: 3, drained: false });
  });

  it('a paused processor asked to drain (SIGTERM) stops at once, not at its next periodic re-read', async () => {
    const p = await jobIn('pause-then-sigterm', 'paused');
    const member = processor('ps1');
    const run = member.run({ spec: spec(p.jobId) }, async () => Buffer.from('x'));
    await eventually('the pause acknowledged', () => acknowledged(p.jobId, 0), 10_000);
    // Without the wake-up, only the paused member's periodic re-read (every PAUSED_REREAD_MS) would end its wait.
    const started = Date.now();
    await member.drain();
    const tookMs = Date.now() - started;
    expect(await run).toMatchObject({ complete: false, committed: 0 });
    expect(tookMs).toBeLessThan(PAUSED_REREAD_MS / 2);
  });

  it('a member started on a draining job stops without claiming, drained', async () => {
    const p = await jobIn('draining-at-start', 'draining');
    const summary = await processor('d1').run({ spec: spec(p.jobId) }, async () => Buffer.from('x'));
    expect(summary).toMatchObject({ complete: false, committed: 0, drained: true });
    expect(await readDoneMarkers(admin, ROOT, p.jobId)).toEqual([]);
  });
});
