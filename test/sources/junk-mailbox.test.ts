/**
 * Where `--write-back move` puts spam, against real Dovecot servers: the
 * mailbox marked SPECIAL-USE \Junk (RFC 6154) whatever its name, or the one
 * named by --junk-mailbox; a server with neither is refused with an error
 * that names the flag (there is no fallback name: Cyrus, for one, refuses a
 * top-level "Junk").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMailbox, type DovecotServer } from '../../src/servers/dovecot.js';
import { checkWriteBack, JunkMailboxError, writeBackVerdicts } from '../../src/sources/index.js';
import { cleanScratch, message, plainSource, startTestDovecot, stopTestDovecot, USER } from './harness.js';

let marked: DovecotServer;
let unmarked: DovecotServer;

beforeAll(async () => {
  [marked, unmarked] = await Promise.all([
    startTestDovecot({ junk: { name: 'Pourriel', autoCreate: true } }),
    startTestDovecot({ junk: 'none' }),
  ]);
  for (const server of [marked, unmarked]) {
    loadMailbox(server, { user: USER, uidValidity: 31, messages: [1, 2, 3].map((uid) => ({ uid, raw: message(uid) })) });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([stopTestDovecot(marked), stopTestDovecot(unmarked)]);
  cleanScratch();
});

describe('the Junk mailbox of --write-back move', () => {
  it('is the mailbox marked SPECIAL-USE \\Junk, whatever its name, and spam moves there', async () => {
    const source = plainSource(marked, { writeBack: 'move' });
    await source.open();
    try {
      expect(await checkWriteBack(source, 'move')).toBe('Pourriel');
      const result = await writeBackVerdicts(source, [{ key: 2, label: 'spam' }, { key: 3, label: 'ham' }]);
      expect(result).toEqual({ mode: 'move', marked: 0, moved: 1, junkMailbox: 'Pourriel' });
      expect(await source.listKeys()).toEqual([1, 3]);
    } finally {
      await source.close();
    }
  });

  it('is refused before any move on a server with no \\Junk mailbox, naming --junk-mailbox', async () => {
    const source = plainSource(unmarked, { writeBack: 'move' });
    await source.open();
    try {
      const error = await checkWriteBack(source, 'move').then(() => undefined, (e: unknown) => e as JunkMailboxError);
      expect(error).toBeInstanceOf(JunkMailboxError);
      expect(error!.code).toBe('IMAP_NO_JUNK_MAILBOX');
      expect(error!.message).toMatch(/has no mailbox marked SPECIAL-USE \\Junk \(mailboxes: INBOX\); name the one to move spam to with --junk-mailbox NAME/);
      await expect(writeBackVerdicts(source, [{ key: 1, label: 'spam' }])).rejects.toBeInstanceOf(JunkMailboxError);
      expect(await source.listKeys()).toEqual([1, 2, 3]);
    } finally {
      await source.close();
    }
  });

  it('is the mailbox named by --junk-mailbox when it exists, and refused when it does not', async () => {
    loadMailbox(unmarked, { user: USER, mailbox: 'Spam', uidValidity: 77, messages: [] });
    const named = plainSource(unmarked, { writeBack: 'move', junkMailbox: 'Spam' });
    const missing = plainSource(unmarked, { writeBack: 'move', junkMailbox: 'Spam2' });
    await Promise.all([named.open(), missing.open()]);
    try {
      expect(await checkWriteBack(named, 'move')).toBe('Spam');
      await expect(checkWriteBack(missing, 'move')).rejects.toThrow(/the Junk mailbox "Spam2" given by --junk-mailbox does not exist on .* \(mailboxes: .*Spam.*\): create it or name another/);
    } finally {
      await Promise.all([named.close(), missing.close()]);
    }
  });
});
