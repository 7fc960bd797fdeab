/**
 * Reading the user's corrections from a real Dovecot, with an imapflow client
 * playing the user: Junk found by SPECIAL-USE, a move into Junk seen as an
 * arrival there, keyword changes seen through CONDSTORE (and by the flag scan
 * when CONDSTORE is not used), spamzk's own move stamped, bodies read with
 * BODY.PEEK.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImapFlow } from 'imapflow';
import type { DovecotServer } from '../../src/servers/dovecot.js';
import { FeedbackClient, Secret, SPAMZK_MOVED_KEYWORD, writeBackVerdicts, type ScanPosition } from '../../src/sources/index.js';
import { bareClient, message, PASSWORD, plainSource, startTestDovecot, stopTestDovecot, USER } from '../sources/harness.js';

let dovecot: DovecotServer;
let user: ImapFlow;
let learn: FeedbackClient;

beforeAll(async () => {
  dovecot = await startTestDovecot();
  user = await bareClient(dovecot);
  await user.mailboxCreate('Junk');
  for (let n = 1; n <= 6; n++) await user.append('INBOX', message(n));
  learn = new FeedbackClient({ url: `imap://${USER}@127.0.0.1:${dovecot.imapPort}/INBOX`, password: new Secret(PASSWORD), allowPlaintext: true });
  await learn.open();
});

afterAll(async () => {
  await learn?.close();
  await user?.logout().catch(() => undefined);
  await stopTestDovecot(dovecot);
});

async function userMoves(uid: number, to: string): Promise<void> {
  await user.mailboxOpen('INBOX');
  await user.messageMove(String(uid), to, { uid: true });
}

async function userFlags(mailbox: string, uid: number, add: string[], remove: string[] = []): Promise<void> {
  await user.mailboxOpen(mailbox);
  if (add.length) await user.messageFlagsAdd(String(uid), add, { uid: true });
  if (remove.length) await user.messageFlagsRemove(String(uid), remove, { uid: true });
}

describe('feedback scan on Dovecot', () => {
  let inboxAt: ScanPosition;
  let junkAt: ScanPosition;

  it('finds the Junk mailbox by its SPECIAL-USE attribute; a named one must exist', async () => {
    expect(await learn.junkMailbox()).toBe('Junk');
    expect(await learn.junkMailbox('Junk')).toBe('Junk');
    await expect(learn.junkMailbox('Spam')).rejects.toThrow(/the Junk mailbox "Spam" given by --junk-mailbox does not exist/);
  });

  it('a first scan sets the baseline: nothing already there is taken for an arrival', async () => {
    const inbox = await learn.scan('INBOX', undefined);
    const junk = await learn.scan('Junk', undefined);
    expect(inbox.arrivals).toEqual([]);
    expect(inbox.flagged).toEqual([]);
    expect(inbox.next.lastUid).toBe(6);
    expect(inbox.next.highestModseq).toBeDefined(); // Dovecot offers CONDSTORE
    inboxAt = inbox.next;
    junkAt = junk.next;
  });

  it('a move into Junk is an arrival there; keyword changes are read through CONDSTORE; a rescan from the new position sees nothing', async () => {
    await userMoves(2, 'Junk');
    await userFlags('INBOX', 3, ['$Junk']);
    await userFlags('INBOX', 4, ['NonJunk']);
    const junk = await learn.scan('Junk', junkAt);
    expect(junk.arrivals.map((m) => m.messageId)).toEqual(['<m2@example.org>']);
    const inbox = await learn.scan('INBOX', inboxAt);
    expect(inbox.method).toBe('condstore');
    expect(inbox.flagged.map((m) => [m.uid, m.keywords])).toEqual([
      [3, ['$Junk']],
      [4, ['NonJunk']],
    ]);
    const again = await learn.scan('INBOX', inbox.next);
    expect(again.flagged).toEqual([]);
    expect((await learn.scan('Junk', junk.next)).arrivals).toEqual([]);
    inboxAt = inbox.next;
    junkAt = junk.next;
  });

  it('the flag scan (no CONDSTORE) finds every message carrying a junk keyword', async () => {
    const inbox = await learn.scan('INBOX', inboxAt, { condstore: false });
    expect(inbox.method).toBe('flag-scan');
    expect(inbox.flagged.map((m) => m.uid).sort()).toEqual([3, 4]);
  });

  it("spamzk's own move to Junk carries its stamp, so it is told from the user's", async () => {
    const source = plainSource(dovecot, { writeBack: 'move', junkMailbox: 'Junk' });
    await source.open();
    try {
      await writeBackVerdicts(source, [{ key: 5, label: 'spam' }]);
    } finally {
      await source.close();
    }
    const junk = await learn.scan('Junk', junkAt);
    expect(junk.arrivals.map((m) => [m.messageId, m.keywords.includes(SPAMZK_MOVED_KEYWORD)])).toEqual([['<m5@example.org>', true]]);
  });

  it('corrected messages are fetched with BODY.PEEK: \\Seen stays unset', async () => {
    const bodies = await learn.fetch('INBOX', inboxAt.uidValidity, [3, 4, 99]);
    expect([...bodies.keys()]).toEqual([3, 4]); // 99 does not exist: absent, not an error
    expect(bodies.get(3)!.toString()).toContain('body of message 3');
    await user.mailboxOpen('INBOX');
    const flags = [];
    for await (const m of user.fetch('3:4', { uid: true, flags: true }, { uid: true })) flags.push(m.flags?.has('\\Seen'));
    expect(flags).toEqual([false, false]);
  });
});
