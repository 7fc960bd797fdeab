/**
 * Steering a running fleet through the job's control znode, on a real 3-node
 * ZooKeeper ensemble, with the real CLI: `spamzk replay --processors 3` runs
 * three `spamzk processor` children (separate processes, separate sessions),
 * and `spamzk pause|resume|drain|config` are run as separate commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDoneMarkers, readJobStatus, listJobs, readControl, JobPaths, ZkSession } from '../../src/coordination/index.js';
import { decodeBatchResult } from '../../src/pipeline/index.js';
import { readJobSnapshot } from '../../src/dashboard/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { eventually, openSession } from '../coordination/helpers.js';
import { fixtureMessages, parseReport, runCli, TEST_SPLIT, type CliResult } from '../pipeline/harness.js';
import { tempDirs } from '../support/temp-dirs.js';

const ROOT = '/steer';
const temp = tempDirs();
let zk: ZooKeeperCluster;
let admin: ZkSession;

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 3, baseDir: temp.make('spamzk-control-zk-') });
  admin = await openSession(zk.connectString);
}, 120_000);

afterAll(async () => {
  await admin?.close();
  await zk?.stop();
  temp.removeAll();
});

const zkFlags = (): string[] => ['--zk', zk.connectString, '--zk-root', ROOT];

interface ControlReply {
  jobId: string;
  control: { state: string; version: number; mtime: number; settings: Record<string, string> };
  acknowledged?: { live: number; applied: number; ms: number };
}

async function control(...args: string[]): Promise<ControlReply> {
  const r = await runCli([...args, ...zkFlags(), '--json', '--wait']);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout.trim()) as ControlReply;
}

/** Server time of every claim made on the job so far: committed ones (done markers) and those in hand. */
async function claimTimes(jobId: string): Promise<number[]> {
  const [done, snapshot] = await Promise.all([readDoneMarkers(admin, ROOT, jobId), readJobSnapshot(admin, ROOT, jobId)]);
  return [...done.map((d) => d.claimedAt), ...snapshot.claims.map((c) => c.claimedAt)];
}

describe('steering a fleet through the job control znode (3-node ensemble, 3 processor processes)', () => {
  it('pause stops new claims fleet-wide, config reaches every member, resume continues, drain stops the members, and the same command resumes the job to completion with every message once', async () => {
    const reportDir = temp.make('spamzk-control-report-');
    const replayArgs = ['replay', TEST_SPLIT, ...zkFlags(), '--processors', '3', '--batch-size', '2', '--json', '--report-dir', reportDir, '--no-progress'];
    const first = runCli(replayArgs);

    const jobId = await eventually('the job to be planned', async () => (await listJobs(admin, ROOT))[0]?.jobId, 60_000);
    await eventually('3 members and some batches done', async () => {
      const s = await readJobStatus(admin, ROOT, jobId);
      return s.processors.length === 3 && s.done >= 10 ? s : undefined;
    }, 60_000, 20);

    // Pause: every member acknowledges; no claim is created after the pause's write + 1 s.
    const paused = await control('pause', jobId);
    expect(paused.control.state).toBe('paused');
    expect(paused.acknowledged).toMatchObject({ live: 3, applied: 3 });
    await new Promise((r) => setTimeout(r, 2_500)); // an observation window: nothing may be claimed in it
    const times = await claimTimes(jobId);
    const lastClaim = Math.max(...times);
    console.log(`pause: last new claim ${lastClaim - paused.control.mtime} ms after the pause write (all 3 acknowledged in ${paused.acknowledged!.ms} ms)`);
    expect(lastClaim).toBeLessThanOrEqual(paused.control.mtime + 1_000);
    const whilePaused = await readJobStatus(admin, ROOT, jobId);
    expect(whilePaused.claimed).toBe(0); // the batches in hand were finished and committed
    expect(whilePaused.done).toBeLessThan(whilePaused.batchCount);
    expect(whilePaused.processors).toHaveLength(3); // members stay up, waiting

    // A live setting reaches every member (each acknowledges the version in its registration).
    const configured = await control('config', 'set', jobId, 'imapRate=5/s', 'imapConnections=2');
    expect(configured.control.version).toBe(paused.control.version + 1);
    expect(configured.control.settings).toEqual({ imapRate: '5/s', imapConnections: '2' });
    expect(configured.acknowledged).toMatchObject({ live: 3, applied: 3 });
    console.log(`config set: applied by all 3 members in ${configured.acknowledged!.ms} ms`);
    const status = JSON.parse((await runCli(['status', ...zkFlags(), '--job', jobId, '--json'])).stdout) as {
      control: { state: string; version: number; settings: Record<string, string> };
      processors: { controlVersion?: number }[];
    };
    expect(status.control).toMatchObject({ state: 'paused', version: configured.control.version, settings: { imapRate: '5/s' } });
    expect(status.processors.map((p) => p.controlVersion)).toEqual([1, 1, 1].map(() => configured.control.version));

    // Resume: the same members claim again, without a restart.
    const resumed = await control('resume', jobId);
    expect(resumed.acknowledged).toMatchObject({ live: 3, applied: 3 });
    await eventually('claims after the resume', async () => ((await readJobStatus(admin, ROOT, jobId)).done >= whilePaused.done + 6 ? true : undefined), 30_000, 20);

    // Drain: members finish the batch in hand and exit 0; the job is left unfinished.
    const drained = await control('drain', jobId);
    expect(drained.control.state).toBe('draining');
    const firstRun: CliResult = await first;
    expect(firstRun.code, firstRun.stderr).toBe(0);
    expect(firstRun.stderr).toMatch(new RegExp(`job ${jobId} drained: .*spamzk resume ${jobId}`));
    const afterDrain = await readJobStatus(admin, ROOT, jobId);
    expect(afterDrain.processors).toHaveLength(0);
    expect(afterDrain.claimed).toBe(0);
    expect(afterDrain.done).toBeGreaterThan(whilePaused.done);
    expect(afterDrain.done).toBeLessThan(afterDrain.batchCount);

    // Resume, then the same command again: it continues where the job stopped and completes it.
    await control('resume', jobId);
    const second = await runCli(replayArgs);
    expect(second.code, second.stderr).toBe(0);
    const report = parseReport(second.stdout);
    const messages = await fixtureMessages(TEST_SPLIT);
    expect(report.totals.messages).toBe(messages.length);
    expect(report.integrity.ok).toBe(true);

    // Audit from the done markers: every message committed exactly once, none missing.
    const done = await readDoneMarkers(admin, ROOT, jobId);
    const keys = done.flatMap((d) => decodeBatchResult(d.result).messages.map((m) => m.key));
    expect(keys).toHaveLength(messages.length);
    expect(new Set(keys)).toEqual(new Set(messages.map((m) => m.key)));
    expect((await readJobStatus(admin, ROOT, jobId)).complete).toBe(true);
  }, 240_000);

  it('pause of an unknown job says it is not found, lists the jobs, exits 2 and writes nothing', async () => {
    const jobs = (await listJobs(admin, ROOT)).map((j) => j.jobId);
    expect(jobs.length).toBeGreaterThan(0);
    const r = await runCli(['pause', 'NOSUCHJOB', ...zkFlags()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('job "NOSUCHJOB" not found under /steer');
    for (const id of jobs) expect(r.stderr).toContain(id);
    expect(await admin.exists(new JobPaths(ROOT, 'NOSUCHJOB').job)).toBeUndefined();
  }, 60_000);

  it('config set with an unknown key or a bad value exits 2 naming it, before any write', async () => {
    const jobId = (await listJobs(admin, ROOT))[0]!.jobId;
    const before = await readControl(admin, new JobPaths(ROOT, jobId));
    const badKey = await runCli(['config', 'set', jobId, 'imapRate=5/s', 'imapSpeed=9', ...zkFlags()]);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('unknown setting "imapSpeed"');
    const badValue = await runCli(['config', 'set', jobId, 'imapRate=fast', ...zkFlags()]);
    expect(badValue.code).toBe(2);
    expect(badValue.stderr).toContain('imapRate="fast" is not a rate');
    const badConnections = await runCli(['config', 'set', jobId, 'imapConnections=0', ...zkFlags()]);
    expect(badConnections.code).toBe(2);
    expect(badConnections.stderr).toContain('imapConnections="0" must be an integer from 1 to 100');
    const after = await readControl(admin, new JobPaths(ROOT, jobId));
    expect(after.version).toBe(before.version);
    expect(after.settings).toEqual(before.settings);
  }, 60_000);
});
