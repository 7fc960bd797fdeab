/**
 * Finding the Junk mailbox by its SPECIAL-USE attribute (RFC 6154): its name
 * differs between servers (Cyrus wants `INBOX/Junk`, others `Junk`, `Spam` or
 * a localized name; docs/findings.md), so a name is only a user's override.
 */
import type { ImapFlow } from 'imapflow';
import { ImapMailboxError } from '../errors.js';

export const JUNK_SPECIAL_USE = '\\Junk';

/**
 * The mailbox the server marks `\Junk`. imapflow also guesses special use
 * from well-known names ("name"); only the server's own attribute
 * ("extension") is taken, so a folder merely called "Spam" is never mistaken
 * for the one the user's client moves junk to.
 */
export async function discoverJunkMailbox(client: ImapFlow, where: string): Promise<string> {
  const boxes = await client.list();
  const marked = boxes.filter((b) => b.specialUse === JUNK_SPECIAL_USE && b.specialUseSource !== 'name');
  if (marked.length === 0) {
    throw new ImapMailboxError(`${where} marks no mailbox \\Junk (SPECIAL-USE, RFC 6154): name it with --junk-mailbox`);
  }
  return marked[0]!.path;
}
