/**
 * The local fleet and the child protocol: what a child processor is handed
 * is validated field by field, its summary comes back tagged, and a fleet that
 * gives up on one child drains the others and waits for them before it fails
 * (so that the ZooKeeper they run on is not stopped under them).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ChildProtocolError,
  LocalFleet,
  ProcessorGaveUpError,
  readChildOrder,
  summaryLine,
  type ChildOrder,
  type Logger,
  type ProcessorSettings,
} from '../../src/pipeline/index.js';
import { CHILD_ORDER_ENV, childOrderEnv, PROCESSOR_NODE_FLAGS, spawnProcessor, summaryFromStdout } from '../../src/pipeline/child-protocol.js';
import { runCli } from './harness.js';

const FLEET_CHILD = fileURLToPath(new URL('./fixtures/fleet-child.ts', import.meta.url));

const SETTINGS: ProcessorSettings = {
  source: '/tmp/mailbox',
  connectString: '127.0.0.1:2181',
  zkRoot: '/fleet-test',
  model: undefined,
  batchSize: 250,
  sessionTimeoutMs: 10_000,
  staleAfterMs: 60_000,
  maxAttempts: 3,
  imapPasswordFile: undefined,
  caFile: undefined,
  insecure: false,
  writeBack: 'off',
};
const JOB_ID = 'job-0123456789abcdef';
const ORDER: ChildOrder = { settings: SETTINGS, jobId: JOB_ID, logLevel: 'warn' };

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

function orderWith(mutate: (raw: Record<string, unknown> & { settings: Record<string, unknown> }) => void): NodeJS.ProcessEnv {
  const raw = JSON.parse(childOrderEnv(ORDER)[CHILD_ORDER_ENV]!) as Record<string, unknown> & { settings: Record<string, unknown> };
  mutate(raw);
  return { [CHILD_ORDER_ENV]: JSON.stringify(raw) };
}

describe('child protocol', () => {
  it('hands a child exactly the order its parent wrote', () => {
    expect(readChildOrder(childOrderEnv(ORDER))).toEqual(ORDER);
    const indexed: ChildOrder = { ...ORDER, fixtureIndex: '/tmp/spamzk-index-x/fixture.idx' };
    expect(readChildOrder(childOrderEnv(indexed))).toEqual(indexed);
    expect(readChildOrder({})).toBeUndefined();
  });

  it('names the bad field of an order a child cannot use', () => {
    expect(() => readChildOrder(orderWith((o) => (o.settings.batchSize = 0)))).toThrow(/SPAMZK_CHILD_ORDER\.settings\.batchSize must be a whole number ≥ 1, got 0/);
    expect(() => readChildOrder(orderWith((o) => (o.settings.writeBack = 'delete')))).toThrow(/settings\.writeBack must be one of off, keywords, move, got "delete"/);
    expect(() => readChildOrder(orderWith((o) => delete o.settings.connectString))).toThrow(/settings\.connectString must be a non-empty string, got nothing/);
    expect(() => readChildOrder(orderWith((o) => (o.jobId = 7)))).toThrow(/SPAMZK_CHILD_ORDER\.jobId must be a non-empty string/);
    expect(() => readChildOrder(orderWith((o) => (o.logLevel = 'loud')))).toThrow(/SPAMZK_CHILD_ORDER\.logLevel must be one of fatal, error/);
    expect(() => readChildOrder(orderWith((o) => (o.v = 99)))).toThrow(/v is 99; this spamzk reads v1/);
    expect(() => readChildOrder({ [CHILD_ORDER_ENV]: '{not json' })).toThrow(ChildProtocolError);
    expect(() => readChildOrder(orderWith((o) => (o.fixtureIndex = '')))).toThrow(/SPAMZK_CHILD_ORDER\.fixtureIndex must be a non-empty string, got ""/);
  });

  it('finds the tagged summary among other stdout lines, and names a bad field in it', () => {
    const summary = {
      jobId: 'job-1', processorId: 'p', batchCount: 3, complete: true, committed: 3, lostRaces: 0, fenced: 0, reclaimed: 0,
      failed: 0, quarantined: 0, released: 0, sessionsLost: 0, spared: 0, heartbeats: 4, longestStallMs: 12,
    };
    expect(summaryFromStdout(`a library banner\n${summaryLine(summary)}{"not":"it"}\n`)).toEqual(summary);
    expect(summaryFromStdout('{"jobId":"job-1"}\n')).toBeUndefined();
    expect(() => summaryFromStdout(summaryLine({ ...summary, committed: -1 }))).toThrow(/processor summary\.committed must be a number ≥ 0/);
  });
});

describe('spamzk processor as a child', () => {
  it('runs under the heap limits that keep a processor flat (a 128 MB old space, not V8\'s gigabytes)', async () => {
    const probe = 'process.stdout.write(String(require("node:v8").getHeapStatistics().heap_size_limit))';
    const { child, exited } = spawnProcessor(ORDER, { command: ['-e', probe] });
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    expect((await exited).code).toBe(0);
    const limitMb = Number(stdout) / 2 ** 20;
    expect(PROCESSOR_NODE_FLAGS).toContain('--max-old-space-size=128');
    expect(limitMb).toBeGreaterThanOrEqual(128);
    expect(limitMb).toBeLessThan(160); // the old space plus a 2 MB young generation; without the flags, 2 GB or more
  }, 30_000);

  it('exits 2 before any work when its order has a bad field, naming the field', async () => {
    const result = await runCli(['processor', '/tmp/mailbox'], orderWith((o) => (o.settings.staleAfterMs = '60s')));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('SPAMZK_CHILD_ORDER.settings.staleAfterMs must be a whole number ≥ 1, got "60s"');
  }, 30_000);
});

describe('LocalFleet', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) {
      const pidFile = join(dir, 'survivor.pid');
      if (existsSync(pidFile)) {
        try {
          process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        } catch {
          // already gone: what a passing test leaves
        }
      }
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when it gives up on one child, drains the others and waits for them to exit before it fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spamzk-fleet-'));
    dirs.push(dir);
    const fleet = new LocalFleet({
      processors: 2,
      settings: { ...SETTINGS, source: dir },
      jobId: JOB_ID,
      log: silent,
      childLogLevel: 'warn',
      maxRestarts: 1,
      command: ['--import', 'tsx', FLEET_CHILD],
    });
    const failure = await fleet.run().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ProcessorGaveUpError);
    // The survivor was asked to drain, finished, and exited before run() failed.
    expect(existsSync(join(dir, 'drained'))).toBe(true);
    const survivorPid = Number(readFileSync(join(dir, 'survivor.pid'), 'utf8'));
    expect(() => process.kill(survivorPid, 0)).toThrow();
  }, 60_000);
});
