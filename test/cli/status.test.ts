/**
 * Issue 13 item 7: `spamzk status` as kafka-consumer-groups --describe users
 * expect it, through the real CLI against a real ZooKeeper kept for the test:
 * the job list, a job's backlog and ETA, each live claim's age and last
 * heartbeat while a replay runs (--watch), per-batch rows, and "not found".
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { SPAMZK_BIN } from '../../src/shared/index.js';
import { TEST_SPLIT } from '../pipeline/harness.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCliIn } from './run-cli.js';

const temp = tempDirs();
let zk: ZooKeeperCluster;
const ROOT = '/status-cli';

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1 });
}, 60_000);
afterAll(async () => {
  await zk?.stop();
  temp.removeAll();
});

const cli = (args: string[]) => runCliIn([...args, '--zk', zk.connectString, '--zk-root', ROOT], { cwd: temp.make('spamzk-status-cwd-'), env: { SPAMZK_LOG_LEVEL: 'warn' } });

describe('spamzk status', () => {
  let watchText = '';
  let watchCode: number | null = null;

  it('--watch prints a snapshot per interval with the backlog and an ETA while a replay runs; SIGINT ends it with 0', async () => {
    const watcher = spawn(process.execPath, [SPAMZK_BIN, 'status', '--zk', zk.connectString, '--zk-root', ROOT, '--watch', '500ms'], {
      env: { ...process.env, SPAMZK_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    watcher.stdout.setEncoding('utf8').on('data', (c: string) => (watchText += c));
    watcher.stderr.setEncoding('utf8').on('data', (c: string) => (watchText += c));
    const exited = new Promise<number | null>((r) => watcher.once('exit', (code) => r(code)));
    const replay = await cli(['replay', TEST_SPLIT, '-p', '2', '--batch-size', '50', '--report-dir', temp.make('spamzk-status-report-'), '--json']);
    expect(replay.code, replay.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 1_200)); // one more snapshot, of the finished job
    watcher.kill('SIGINT');
    const started = Date.now();
    watchCode = await exited;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(watchCode).toBe(0);
    // Not a terminal: one snapshot per interval, each a full description.
    expect(watchText.match(/^JOB job-/gm)?.length ?? 0).toBeGreaterThan(2);
    expect(watchText).toMatch(/backlog {2}[\d,]+ messages in \d+ open batch(es)?; ETA [\d.]+ m?s at \d+ msgs\/s/);
    expect(watchText).toMatch(/backlog {2}0 messages in 0 open batches; nothing left/);
  }, 180_000);

  it('shows a stuck processor\'s claim: its age grows while its last heartbeat falls behind', async () => {
    const root = '/status-stuck';
    const replay = spawn(process.execPath, [SPAMZK_BIN, 'replay', TEST_SPLIT, '-p', '1', '--batch-size', '50', '--zk', zk.connectString, '--zk-root', root, '--report-dir', temp.make('spamzk-status-report-'), '--json'], {
      env: { ...process.env, SPAMZK_LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    const replayExit = new Promise<number | null>((r) => replay.once('exit', (code) => r(code)));
    const snapshot = async () => {
      const r = await runCliIn(['status', '--json', '--zk', zk.connectString, '--zk-root', root], { cwd: temp.make('spamzk-status-cwd-') });
      return r.code === 0 && r.stdout.startsWith('{"') ? (JSON.parse(r.stdout) as { claims: { processorId: string }[]; processors: { pid: number }[] }) : undefined;
    };
    let pid: number | undefined;
    for (let i = 0; i < 200 && pid === undefined; i++) pid = (await snapshot())?.processors[0]?.pid;
    expect(pid).toBeDefined();
    // Freeze the processor (a child of our replay) while it holds a claim.
    let held = false;
    try {
      for (let i = 0; i < 20 && !held; i++) {
        process.kill(pid!, 'SIGSTOP');
        held = ((await snapshot())?.claims.length ?? 0) > 0;
        if (!held) {
          process.kill(pid!, 'SIGCONT');
          await new Promise((r) => setTimeout(r, 30));
        }
      }
      expect(held).toBe(true);
      await new Promise((r) => setTimeout(r, 2_000));
      const text = (await runCliIn(['status', '--zk', zk.connectString, '--zk-root', root], { cwd: temp.make('spamzk-status-cwd-') })).stdout;
      // BATCH PROCESSOR ATTEMPT AGE LAST-HEARTBEAT BEATS STATUS, the age and the heartbeat's lag both past the 2 s pause.
      const row = /^\s+(\d+) (\S+)\s+1\s+([\d.]+) s\s+([\d.]+) s ago\s+(\d+) {2}\S/m.exec(text);
      expect(row, text).not.toBeNull();
      expect(Number(row![3])).toBeGreaterThanOrEqual(2);
      expect(Number(row![4])).toBeGreaterThanOrEqual(2);
    } finally {
      process.kill(pid!, 'SIGCONT');
    }
    expect(await replayExit).toBe(0);
  }, 180_000);

  it('describes a finished job with its names, and --batches adds a row per batch', async () => {
    const r = await cli(['status', '--batches']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^JOB job-[0-9a-f]{16} {2}COMPLETE/);
    expect(r.stdout).toContain(`source   ${TEST_SPLIT}`);
    expect(r.stdout).toMatch(/model {4}shipped model \(spamzk/);
    expect(r.stdout).toMatch(/batches {2}25: done 25, claimed 0, pending 0, quarantined 0 \(up to 50 messages each\)/);
    expect(r.stdout).toContain('(no live claims)');
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d+ \d+-\d+\s+\d+ {2}done/.test(l));
    expect(rows).toHaveLength(25);
    const json = JSON.parse((await cli(['status', '--json'])).stdout) as { backlog: { messages: number; etaMs: number }; claims: unknown[] };
    expect(json.backlog).toEqual({ batches: 0, messages: 0, etaMs: 0 });
  }, 60_000);

  it('lists the jobs with state, age, batch counts, batch size and model; an unknown job is exit 2 naming the jobs', async () => {
    const second = await cli(['replay', TEST_SPLIT, '-p', '1', '--batch-size', '500', '--report-dir', temp.make('spamzk-status-report-'), '--json']);
    expect(second.code, second.stderr).toBe(0);
    const list = await cli(['status']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^JOB\s+STATE\s+AGE\s+BATCHES\s+DONE\s+PENDING\s+CLAIMED\s+QUARANTINED\s+BATCH SIZE$/m);
    expect(list.stdout).toMatch(/^job-[0-9a-f]{16}\s+complete\s+[\d.]+ (s|min \d+ s)\s+25\s+25\s+0\s+0\s+0\s+50$/m);
    expect(list.stdout).toMatch(/^job-[0-9a-f]{16}\s+complete\s+[\d.]+ (ms|s|min \d+ s)\s+3\s+3\s+0\s+0\s+0\s+500$/m);
    expect(list.stdout).toMatch(/^ {4}model {2}shipped model/m);
    expect(list.stdout).toContain('(name one with --job ID)');
    const missing = await cli(['status', '--job', 'job-does-not-exist']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/job job-does-not-exist not found under \/status-cli on 127\.0\.0\.1:\d+: the jobs there are job-/);
    expect(missing.stderr).toMatch(/job-[0-9a-f]{16} \(complete, 25 batches\)/);
    expect(missing.stderr).toMatch(/job-[0-9a-f]{16} \(complete, 3 batches\)/);
    expect(missing.stderr).not.toMatch(/NO_NODE/);
    const report = await cli(['report', '--job', 'job-does-not-exist', '--out', temp.make('spamzk-status-out-')]);
    expect(report.code).toBe(2);
    expect(report.stderr).toContain('job job-does-not-exist not found');
  }, 120_000);
});
