/**
 * Found by the chaos run: an IMAP connection cut while the SEARCH that lists
 * a mailbox is in flight made the IMAP source report an EMPTY mailbox
 * (imapflow's search() resolves `false` when its command fails), so a job was
 * planned with no batches and "completed" having skipped every message.
 * The cut is made deterministic here: the session's server process is stopped,
 * the SEARCH is sent, then the process is killed under it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync } from 'node:fs';
import { imapSessionPids, loadMailbox, startDovecot, stopDovecot, type DovecotServer } from '../../src/servers/dovecot.js';
import { delay as sleep } from '../../src/shared/index.js';
import { openSource } from '../../src/sources/index.js';
import { tempDirs } from '../support/temp-dirs.js';

const USER = 'cut-owner';
const PASSWORD_ENV = 'SPAMZK_TEST_CUT_PASSWORD';
const UIDS = Array.from({ length: 50 }, (_, i) => 7 + i * 3);

let dovecot: DovecotServer;

const temp = tempDirs();
const tempDir = temp.make;

beforeAll(async () => {
  const dir = tempDir('spamzk-cut-dovecot-');
  chmodSync(dir, 0o711);
  dovecot = await startDovecot({ dir, users: [{ name: USER, password: 'cut pw 41' }] });
  process.env[PASSWORD_ENV] = 'cut pw 41';
  const raw = (uid: number): Buffer => Buffer.from(`From: a@example.org\nSubject: message ${uid}\n\nbody ${uid}\n`);
  loadMailbox(dovecot, { user: USER, uidValidity: 777, messages: UIDS.map((uid) => ({ uid, raw: raw(uid) })) });
});

afterAll(async () => {
  await stopDovecot(dovecot);
  temp.removeAll();
});

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) process.kill(pid, signal);
}

describe('IMAP source under a connection cut', () => {
  it('a connection cut during the SEARCH that lists the mailbox is retried, never read as an empty mailbox', async () => {
    const source = openSource(`imaps://${USER}@127.0.0.1:${dovecot.imapsPort}/INBOX`, { caFile: dovecot.caFile, passwordEnv: PASSWORD_ENV });
    await source.open();
    try {
      const sessions = imapSessionPids(dovecot);
      expect(sessions.length).toBeGreaterThan(0);
      signalAll(sessions, 'SIGSTOP');
      const listing = source.listKeys();
      await sleep(500); // the SEARCH is on the wire, unanswered
      signalAll(sessions, 'SIGKILL');
      expect(await listing).toEqual(UIDS);
    } finally {
      await source.close();
    }
  });
});
