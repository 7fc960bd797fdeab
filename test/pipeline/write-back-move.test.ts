/**
 * `--write-back move` end to end (real CLI, real ZooKeeper, real Dovecot):
 * spam goes to the mailbox marked SPECIAL-USE \Junk, only for committed
 * verdicts; committed spam left in the mailbox (a crash between a commit and
 * its move) is moved by the next run; a server with no \Junk mailbox stops
 * the run once, before any batch is claimed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listJobs, ZkSession } from '../../src/coordination/index.js';
import { loadMailbox, startDovecot, stopDovecot, type DovecotServer } from '../../src/servers/dovecot.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { ImapSource, Secret } from '../../src/sources/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { fixtureMessages, parseReport, runCli, TEST_SPLIT } from './harness.js';

const USER = 'mover';
const PASSWORD = 'move password 51aa';
const temp = tempDirs();
let zk: ZooKeeperCluster;
let session: ZkSession;
let marked: DovecotServer;
let unmarked: DovecotServer;
let corpus: Buffer[];

beforeAll(async () => {
  const users = [{ name: USER, password: PASSWORD }];
  [zk, marked, unmarked, corpus] = await Promise.all([
    startZooKeeper({ nodes: 1, baseDir: temp.make('spamzk-move-zk-') }),
    startDovecot({ dir: temp.make('spamzk-move-marked-'), users, junk: { name: 'Pourriel', autoCreate: true } }),
    startDovecot({ dir: temp.make('spamzk-move-unmarked-'), users, junk: 'none' }),
    fixtureMessages(TEST_SPLIT).then((all) => all.map((m) => m.raw)),
  ]);
  session = new ZkSession({ connectString: zk.connectString });
  await session.start();
}, 60_000);

afterAll(async () => {
  await session?.close();
  await Promise.all([zk?.stop(), marked && stopDovecot(marked), unmarked && stopDovecot(unmarked)]);
  temp.removeAll();
});

const env = { SPAMZK_IMAP_PASSWORD: PASSWORD };
function args(server: DovecotServer, root: string, extra: string[]): string[] {
  return [
    'run', '--imap', `imaps://${USER}@127.0.0.1:${server.imapsPort}/INBOX`, '--ca-file', server.caFile, '--zk', zk.connectString,
    '--zk-root', root, '--processors', '2', '--batch-size', '20', '--json', '--report-dir', temp.make('spamzk-move-report-'), ...extra,
  ];
}

async function keysOf(server: DovecotServer, mailbox: string): Promise<number[]> {
  const source = new ImapSource({ url: `imap://${USER}@127.0.0.1:${server.imapPort}/${mailbox}`, password: new Secret(PASSWORD), allowPlaintext: true });
  await source.open();
  try {
    return await source.listKeys();
  } finally {
    await source.close();
  }
}

describe('--write-back move', () => {
  it('on a server with no \\Junk mailbox, stops once with exit 3 naming --junk-mailbox, before any job or batch exists', async () => {
    loadMailbox(unmarked, { user: USER, uidValidity: 11, messages: corpus.slice(0, 40).map((raw, i) => ({ uid: i + 1, raw })) });
    const result = await runCli(args(unmarked, '/move-nowhere', ['--write-back', 'move']), env);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/spamzk: --write-back move: imaps?:\/\/mover@127\.0\.0\.1:\d+\/INBOX has no mailbox marked SPECIAL-USE \\Junk \(mailboxes: INBOX\); name the one to move spam to with --junk-mailbox NAME/);
    // One error, from the run itself: no processor was started to fail and be restarted.
    expect(result.stderr.match(/spamzk: /g)).toHaveLength(1);
    expect(await listJobs(session, '/move-nowhere')).toEqual([]);
    expect(await keysOf(unmarked, 'INBOX')).toHaveLength(40);
  }, 60_000);

  it('--junk-mailbox without --write-back move is a usage error: exit 2 before any work', async () => {
    const result = await runCli(args(marked, '/move-flag', ['--junk-mailbox', 'Pourriel']), env);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('spamzk: --junk-mailbox "Pourriel": give a mailbox name, and only with --write-back move');
    expect(await listJobs(session, '/move-flag')).toEqual([]);
  }, 60_000);

  it('moves the spam of committed verdicts to the \\Junk mailbox whatever its name, and keeps the rest', async () => {
    loadMailbox(marked, { user: USER, uidValidity: 12, messages: corpus.slice(0, 80).map((raw, i) => ({ uid: i + 1, raw })) });
    const result = await runCli(args(marked, '/move', ['--write-back', 'move']), env);
    expect(result.code, result.stderr).toBe(0);
    const report = parseReport(result.stdout);
    const spam = report.verdicts.filter((v) => v.verdict === 'spam').map((v) => v.key);
    expect(spam.length).toBeGreaterThan(0);
    expect(report.integrity.ok, JSON.stringify(report.integrity.checks)).toBe(true);
    expect(report.integrity.checks.find((c) => c.name === 'spam-moved')!.status).toBe('pass');
    expect(report.integrity.checks.find((c) => c.name === 'matches-source')!.detail).toContain(`${spam.length} classified messages have left it since`);
    const inbox = await keysOf(marked, 'INBOX');
    expect(inbox.filter((k) => spam.includes(k))).toEqual([]);
    expect(inbox).toHaveLength(80 - spam.length);
    expect(await keysOf(marked, 'Pourriel')).toHaveLength(spam.length);
  }, 120_000);

  it('committed spam still in the mailbox (its move never happened) is moved by the next run, and the report says so', async () => {
    loadMailbox(marked, { user: USER, uidValidity: 13, messages: corpus.slice(100, 160).map((raw, i) => ({ uid: i + 1, raw })) });
    loadMailbox(marked, { user: USER, mailbox: 'Pourriel', uidValidity: 14, messages: [] });
    // The first run commits every verdict and moves nothing, as a crash right after each commit would.
    const first = await runCli(args(marked, '/move-later', []), env);
    expect(first.code, first.stderr).toBe(0);
    const spam = parseReport(first.stdout).verdicts.filter((v) => v.verdict === 'spam').map((v) => v.key);
    expect(spam.length).toBeGreaterThan(0);
    expect(await keysOf(marked, 'INBOX')).toHaveLength(60);

    const again = await runCli(args(marked, '/move-later', ['--write-back', 'move']), { ...env, SPAMZK_LOG_LEVEL: 'warn' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('committed spam still in the mailbox (a move interrupted after its commit): moving it now');
    const report = parseReport(again.stdout);
    expect(report.integrity.checks.find((c) => c.name === 'spam-moved')).toMatchObject({ status: 'pass' });
    expect((await keysOf(marked, 'INBOX')).filter((k) => spam.includes(k))).toEqual([]);
    expect(await keysOf(marked, 'Pourriel')).toHaveLength(spam.length);
  }, 120_000);
});
