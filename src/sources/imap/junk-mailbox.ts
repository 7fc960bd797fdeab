/**
 * The one way spamzk finds the Junk mailbox, for `--write-back move` (where
 * spam goes) and for `--learn`/`train --imap` (where the user's corrections
 * are read): the mailbox named by `--junk-mailbox` (it must exist), else the
 * one the server marks SPECIAL-USE \Junk (RFC 6154). There is no fallback
 * name: a Junk mailbox's name differs between servers (Cyrus refuses a
 * top-level `Junk`, others use `Spam` or a localized name; docs/findings.md),
 * and a MOVE to, or a scan of, a missing one fails every time.
 */
import type { ImapFlow } from 'imapflow';
import { JunkMailboxError } from '../errors.js';

export const JUNK_SPECIAL_USE = '\\Junk';

/**
 * `purpose` names the setting that needs the mailbox in the error
 * ('--write-back move', '--learn'). imapflow also guesses special use from
 * well-known names ("name"); only the server's own attribute is taken, so a
 * folder merely called "Spam" is never mistaken for the one the user's
 * client moves junk to.
 */
export async function findJunkMailbox(client: ImapFlow, named: string | undefined, source: string, where: string, purpose = '--write-back move'): Promise<string> {
  const boxes = await client.list();
  const paths = boxes.map((b) => b.path);
  if (named !== undefined) {
    const found = boxes.find((b) => b.path === named || (named.toUpperCase() === 'INBOX' && b.path.toUpperCase() === 'INBOX'));
    if (!found) {
      throw new JunkMailboxError(`the Junk mailbox ${JSON.stringify(named)} given by --junk-mailbox does not exist on ${where} (mailboxes: ${paths.join(', ') || 'none'}): create it or name another`);
    }
    if (found.path === source) throw new JunkMailboxError(`--junk-mailbox ${JSON.stringify(named)} is the mailbox being classified (${where}): name another one`);
    return found.path;
  }
  const junk = boxes.find((b) => b.specialUse === JUNK_SPECIAL_USE && b.specialUseSource !== 'name');
  if (!junk) {
    throw new JunkMailboxError(
      `${purpose}: ${where} has no mailbox marked SPECIAL-USE \\Junk (mailboxes: ${paths.join(', ') || 'none'}); name the one to move spam to with --junk-mailbox NAME`,
    );
  }
  if (junk.path === source) throw new JunkMailboxError(`${where} is itself the \\Junk mailbox: nothing to ${purpose === '--learn' ? 'learn from' : 'move'}`);
  return junk.path;
}
