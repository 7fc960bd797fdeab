/**
 * A cadence run rides out a ZooKeeper outage between passes: ZooKeeper is
 * paused (SIGSTOP by PID) for 3.5 s against a 3 s session timeout, so the
 * run's own session is lost; the next pass starts a new session and goes on.
 * (Before, runJob kept one session for ever and the next pass failed
 * "session already lost".)
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runJob, type ProgressDisplay } from '../../src/pipeline/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { tempDirs } from '../support/temp-dirs.js';
import { fixtureMessages, TEST_SPLIT } from './harness.js';
import { jobSettings, recordingLogger, writeFixture } from './support.js';

const temp = tempDirs();
let zk: ZooKeeperCluster;
let fixture: string;

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, tickTimeMs: 500, baseDir: temp.make('spamzk-outage-zk-') });
  fixture = writeFixture(temp.make('spamzk-outage-fixture-'), (await fixtureMessages(TEST_SPLIT)).slice(0, 20));
}, 60_000);

afterAll(async () => {
  await zk?.stop();
  temp.removeAll();
});

it('a cadence run whose ZooKeeper session expires between passes renews it and completes its passes', async () => {
  const pid = zk.nodes[0]!.server!.pid;
  let paused: Promise<void> | undefined;
  const pauseZooKeeper = (): void => {
    process.kill(pid, 'SIGSTOP');
    paused = new Promise((resolve) => setTimeout(() => resolve(void process.kill(pid, 'SIGCONT')), 3_500));
  };
  // The progress display is told to stop when a pass's processors have all
  // exited: the outage starts right then, between pass 1 and pass 2.
  let watches = 0;
  const progress: ProgressDisplay = {
    watch: () => ({ stop: async () => void (++watches === 1 && pauseZooKeeper()) }),
  };
  const log = recordingLogger();
  const outcome = await runJob({
    settings: jobSettings({
      source: fixture,
      connectString: zk.connectString,
      zkRoot: '/outage-cadence',
      reportDir: temp.make('spamzk-outage-report-'),
      sessionTimeoutMs: 3_000,
      everyMs: 4_500,
    }),
    log,
    progress,
    passes: 2,
  });
  await paused;
  expect(paused, 'the outage happened').toBeDefined();
  expect(outcome.fleets).toHaveLength(2);
  if (outcome.kind !== 'finished') throw new Error('the run was drained, not finished');
  expect(log.lines.some((l) => l.message === 'new ZooKeeper session started in place of the lost one')).toBe(true);
  expect(outcome.report.totals.messages).toBe(20);
  expect(outcome.report.integrity.ok, JSON.stringify(outcome.report.integrity.checks)).toBe(true);
}, 120_000);
