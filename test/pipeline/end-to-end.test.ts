/**
 * The product end to end: the real CLI, real ZooKeeper, real Dovecot, the
 * SpamAssassin TEST split (1241 messages) and the shipped model.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { loadMailbox } from '../../src/servers/dovecot.js';
import { tempDirs } from '../support/temp-dirs.js';
import { fixtureMessages, parseReport, runCli, startTestServers, TEST_SPLIT, type ParsedReport, type TestServers } from './harness.js';

const USER = 'inbox-owner';
const PASSWORD = 'pipeline test password 7f3a';
const UIDVALIDITY = 1_700_000_123;

const temp = tempDirs();
let servers: TestServers;
let zk: TestServers['zk'];
let messages: Awaited<ReturnType<typeof fixtureMessages>>;
/** UID of fixture message i: gaps, as a real mailbox has. */
const uidOf = (i: number): number => 5 + i * 3;

beforeAll(async () => {
  [servers, messages] = await Promise.all([startTestServers(USER, PASSWORD), fixtureMessages(TEST_SPLIT)]);
  zk = servers.zk;
  loadMailbox(servers.dovecot, { user: USER, uidValidity: UIDVALIDITY, messages: messages.map((m, i) => ({ uid: uidOf(i), raw: m.raw })) });
});

afterAll(async () => {
  await servers?.stop();
  temp.removeAll();
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
    const result = await runCli(['replay', TEST_SPLIT, '--zk', zk.connectString, '--zk-root', '/e2e-replay', '--processors', '3', '--batch-size', '100', '--json', '--report-dir', temp.make('spamzk-e2e-report-')]);
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

    const out = temp.make('spamzk-e2e-report-');
    const report = await runCli(['report', '--zk', zk.connectString, '--zk-root', '/e2e-replay', '--out', out]);
    expect(report.code, report.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ParsedReport;
    expect(json.verdicts).toEqual(replayed.verdicts);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('Integrity: all checks pass');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<svg');
  });

  it('classifies the same mailbox over IMAPS (verified TLS) with the same verdicts as the replay', async () => {
    const result = await runCli(
      ['run', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--zk', zk.connectString, '--zk-root', '/e2e-imap', '--processors', '2', '--json', '--report-dir', temp.make('spamzk-e2e-report-')],
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
      runCli([...args, '--report-dir', temp.make('spamzk-e2e-report-')]),
      runCli([...args, '--report-dir', temp.make('spamzk-e2e-report-')]),
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

  it('--write-back keywords marks each classified message $Junk or $NotJunk and leaves \\Seen alone', async () => {
    const result = await runCli(
      ['run', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--zk', zk.connectString, '--zk-root', '/e2e-write-back',
        '--write-back', 'keywords', '--json', '--report-dir', temp.make('spamzk-e2e-report-')],
      { SPAMZK_IMAP_PASSWORD: PASSWORD },
    );
    expect(result.code, result.stderr).toBe(0);
    const verdicts = new Map(parseReport(result.stdout).verdicts.map((v) => [v.key, v.verdict]));
    const client = new ImapFlow({
      host: '127.0.0.1', port: servers.dovecot.imapPort, secure: false, doSTARTTLS: false,
      auth: { user: USER, pass: PASSWORD }, logger: false,
    });
    await client.connect();
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      let checked = 0;
      for await (const msg of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) {
        const verdict = verdicts.get(msg.uid);
        const flags = msg.flags ?? new Set<string>();
        expect(flags.has('\\Seen')).toBe(false);
        if (verdict === 'spam') expect([...flags]).toContain('$Junk');
        if (verdict === 'ham') expect([...flags]).toContain('$NotJunk');
        if (verdict === 'unsure') expect([...flags].filter((f) => f.endsWith('Junk'))).toEqual([]);
        checked++;
      }
      expect(checked).toBe(messages.length);
    } finally {
      await client.logout();
    }
  });
});
