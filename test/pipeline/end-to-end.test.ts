/**
 * The product end to end: the real CLI, real ZooKeeper, real Dovecot, the
 * SpamAssassin TEST split (1241 messages) and the shipped model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { loadMailbox, startDovecot, stopDovecot, type DovecotServer } from '../../src/servers/dovecot.js';
import { fixtureMessages, parseReport, runCli, TEST_SPLIT, type ParsedReport } from './harness.js';

const USER = 'inbox-owner';
const PASSWORD = 'pipeline test password 7f3a';
const UIDVALIDITY = 1_700_000_123;

let zk: ZooKeeperCluster;
let dovecot: DovecotServer;
let messages: Awaited<ReturnType<typeof fixtureMessages>>;
/** UID of fixture message i: gaps, as a real mailbox has. */
const uidOf = (i: number): number => 5 + i * 3;

beforeAll(async () => {
  [zk, dovecot, messages] = await Promise.all([
    startZooKeeper({ nodes: 1 }),
    startDovecot({ dir: mkdtempSync(join(tmpdir(), 'spamzk-e2e-dovecot-')), users: [{ name: USER, password: PASSWORD }] }),
    fixtureMessages(TEST_SPLIT),
  ]);
  loadMailbox(dovecot, { user: USER, uidValidity: UIDVALIDITY, messages: messages.map((m, i) => ({ uid: uidOf(i), raw: m.raw })) });
});

afterAll(async () => {
  await Promise.all([zk?.stop(), dovecot && stopDovecot(dovecot)]);
});

function expectEveryMessageOnce(report: ParsedReport, keys: number[]): void {
  expect(report.totals.messages).toBe(keys.length);
  const seen = report.verdicts.map((v) => v.key).sort((a, b) => a - b);
  expect(seen).toEqual([...keys].sort((a, b) => a - b));
  expect(report.integrity.ok).toBe(true);
  const batches = report.commits.map((c) => c.batch);
  expect(new Set(batches).size).toBe(batches.length);
}

describe('spamzk end to end', () => {
  let replayed: ParsedReport;

  it('replays the TEST split with 3 processors: every message gets exactly one verdict', async () => {
    const result = await runCli(['replay', TEST_SPLIT, '--zk', zk.connectString, '--zk-root', '/e2e-replay', '--processors', '3', '--batch-size', '100', '--json', '--report-dir', mkdtempSync(join(tmpdir(), 'r-'))]);
    expect(result.stderr).not.toMatch(/"level":5\d/);
    expect(result.code).toBe(0);
    replayed = parseReport(result.stdout);
    expectEveryMessageOnce(replayed, messages.map((m) => m.key));
    expect(new Set(replayed.commits.map((c) => c.processor)).size).toBeGreaterThan(1);
    // Labels travel with the verdicts, so accuracy is known from ZooKeeper alone.
    expect(replayed.verdicts.every((v) => v.label === 'spam' || v.label === 'ham')).toBe(true);
  });

  it('status and report read the finished job back from ZooKeeper alone, from another process', async () => {
    const status = await runCli(['status', '--zk', zk.connectString, '--zk-root', '/e2e-replay', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as { complete: boolean; batchCount: number; done: number; pending: number; throughput: { messages: number } };
    expect(s).toMatchObject({ complete: true, batchCount: 13, done: 13, pending: 0 });
    expect(s.throughput.messages).toBe(messages.length);

    const out = mkdtempSync(join(tmpdir(), 'report-'));
    const report = await runCli(['report', '--zk', zk.connectString, '--zk-root', '/e2e-replay', '--out', out]);
    expect(report.code, report.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ParsedReport;
    expect(json.verdicts).toEqual(replayed.verdicts);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('Integrity: all checks pass');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
  });

  it('classifies the same mailbox over IMAPS (verified TLS) with the same verdicts as the replay', async () => {
    const result = await runCli(
      ['run', '--imap', `imaps://${USER}@127.0.0.1:${dovecot.imapsPort}/INBOX`, '--ca-file', dovecot.caFile, '--zk', zk.connectString, '--zk-root', '/e2e-imap', '--processors', '2', '--json', '--report-dir', mkdtempSync(join(tmpdir(), 'r-'))],
      { SPAMZK_IMAP_PASSWORD: PASSWORD },
    );
    expect(result.code, result.stderr).toBe(0);
    const report = parseReport(result.stdout);
    expectEveryMessageOnce(report, messages.map((_, i) => uidOf(i)));
    expect(report.job.source).toContain(`UIDVALIDITY=${UIDVALIDITY}`);
    const byUid = new Map(report.verdicts.map((v) => [v.key, v]));
    replayed.verdicts.forEach((v) => {
      const overImap = byUid.get(uidOf(v.key - 1))!;
      expect([overImap.verdict, overImap.score]).toEqual([v.verdict, v.score]);
    });
    // The password never reaches the output.
    expect(result.stdout + result.stderr).not.toContain(PASSWORD);
  });

  it('two invocations started at once share one job', async () => {
    const args = ['replay', TEST_SPLIT, '--zk', zk.connectString, '--zk-root', '/e2e-shared', '--processors', '1', '--batch-size', '20', '--json'];
    const [a, b] = await Promise.all([
      runCli([...args, '--report-dir', mkdtempSync(join(tmpdir(), 'ra-'))]),
      runCli([...args, '--report-dir', mkdtempSync(join(tmpdir(), 'rb-'))]),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const [ra, rb] = [parseReport(a.stdout), parseReport(b.stdout)];
    expect(ra.job.jobId).toBe(rb.job.jobId);
    expectEveryMessageOnce(ra, messages.map((m) => m.key));
    // Both invocations' processors committed batches of the one job.
    expect(new Set(ra.commits.map((c) => c.processor)).size).toBe(2);
  });

  it('a bad configuration stops before any work starts, naming the setting', async () => {
    const result = await runCli(['replay', TEST_SPLIT, '--zk', zk.connectString, '--batch-size', 'ten']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--batch-size: "ten" is not a whole number');
    const env = await runCli(['replay', TEST_SPLIT, '--zk', zk.connectString], { SPAMZK_PROCESSORS: '0' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('SPAMZK_PROCESSORS: 0 is outside 1..64');
  });
});
