/**
 * Optional write-back of a batch's verdicts to the mailbox; off by default.
 * - 'keywords': spam gets `$Junk`, ham `$NotJunk` (and loses the other one), the
 *   keywords mail clients use (RFC 5788 registry). Only done when the
 *   mailbox's PERMANENTFLAGS allow them, otherwise the server would keep them
 *   for the session only and we would report a write that did not last.
 * - 'move': spam is moved to the Junk mailbox; ham stays.
 * Both are idempotent, so a retry after a dropped connection is safe. Neither
 * touches `\Seen`.
 */
import type { Label, MessageKey } from '../types.js';
import { ImapConnectionError, WriteBackError } from '../errors.js';
import type { ImapConnection } from './connection.js';
import type { WriteBackMode } from './options.js';
import { uidSet } from './uid-set.js';
import { findJunkMailbox } from './junk-mailbox.js';

export interface WriteBackVerdict {
  readonly key: MessageKey;
  readonly label: Label;
}

export interface WriteBackResult {
  readonly mode: Exclude<WriteBackMode, 'off'>;
  /** Messages whose keywords were set. */
  readonly marked: number;
  /** Spam messages moved to `junkMailbox`. */
  readonly moved: number;
  readonly junkMailbox?: string;
}

export const JUNK_KEYWORD = '$Junk';
export const NOT_JUNK_KEYWORD = '$NotJunk';
/**
 * Stamped on the spam spamzk moves to Junk, so the learn path tells its own
 * moves from the user's (a user's move into Junk is a correction, spamzk's is
 * not; a stamped message moved back out is one): docs/design.md, "Reading
 * what the user changed". The keyword travels with the message on MOVE.
 */
export const SPAMZK_MOVED_KEYWORD = '$SpamzkSpam';

export async function writeBackBatch(
  conn: ImapConnection,
  mode: WriteBackMode,
  verdicts: readonly WriteBackVerdict[],
  junkMailbox: string | undefined,
  where: string,
): Promise<WriteBackResult> {
  const spam = verdicts.filter((v) => v.label === 'spam').map((v) => v.key);
  const ham = verdicts.filter((v) => v.label === 'ham').map((v) => v.key);
  if (mode === 'off') {
    throw new WriteBackError(`write-back is off for ${where}: open the source with writeBack 'keywords' or 'move' to change the mailbox`);
  }
  if (mode === 'keywords') {
    const flags = conn.permanentFlags;
    if (!flags.has('\\*') && !(flags.has(JUNK_KEYWORD) && flags.has(NOT_JUNK_KEYWORD))) {
      throw new WriteBackError(
        `${where} does not keep the ${JUNK_KEYWORD}/${NOT_JUNK_KEYWORD} keywords (PERMANENTFLAGS: ${[...flags].join(' ') || 'none'}); use writeBack 'move' instead`,
      );
    }
    if (spam.length > 0) await setKeyword(conn, uidSet(spam), JUNK_KEYWORD, NOT_JUNK_KEYWORD, where);
    if (ham.length > 0) await setKeyword(conn, uidSet(ham), NOT_JUNK_KEYWORD, JUNK_KEYWORD, where);
    return { mode, marked: spam.length + ham.length, moved: 0 };
  }
  // Resolved once per source, before any work (ImapSource.junkMailbox); a direct caller may leave it to us.
  const selected = conn.client.mailbox;
  const destination = junkMailbox ?? (await findJunkMailbox(conn.client, undefined, selected ? selected.path : '', where));
  if (spam.length > 0) {
    if (conn.permanentFlags.has('\\*')) await setKeyword(conn, uidSet(spam), SPAMZK_MOVED_KEYWORD, NOT_JUNK_KEYWORD, where);
    // Like STORE, MOVE resolves `false` on failure. A cut connection is retried (MOVE of UIDs
    // already moved is a no-op); a refusal by the server is final.
    const result = await conn.client.messageMove(uidSet(spam), destination, { uid: true });
    if (result === false) {
      throw conn.broken ?? new WriteBackError(`moving spam from ${where} to ${JSON.stringify(destination)} failed: does that mailbox exist?`);
    }
  }
  return { mode, marked: 0, moved: spam.length, junkMailbox: destination };
}

/**
 * imapflow's STORE resolves `false` instead of throwing when the command fails (a cut
 * connection included), so the result is checked: a write that did not happen is an error.
 */
async function setKeyword(conn: ImapConnection, uids: string, add: string, remove: string, where: string): Promise<void> {
  const options = { uid: true, silent: true };
  if (!(await conn.client.messageFlagsAdd(uids, [add], options)) || !(await conn.client.messageFlagsRemove(uids, [remove], options))) {
    throw conn.broken ?? new ImapConnectionError(`STORE ${add} on UIDs ${uids} of ${where} failed`);
  }
}
