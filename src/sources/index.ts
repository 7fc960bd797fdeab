/**
 * The mail side of spamzk: one interface (MailSource), two kinds of source.
 * `openSource(location)` takes a fixture path (mbox file, Maildir, folder of
 * .eml, optionally with ham/ spam/ subfolders or a labels file) or an
 * `imap://` / `imaps://user@host:port/Mailbox` URL, and returns a source that
 * is not yet open: call `open()` for its identity, then list and fetch keys.
 * Raw bytes are in RFC 5322 canonical form (CRLF), see raw-message.ts.
 */
import type { MailSource } from './types.js';
import { WriteBackError } from './errors.js';
import { FixtureSource, type FixtureSourceOptions } from './fixture/fixture-source.js';
import { ImapSource } from './imap/imap-source.js';
import type { ImapSourceOptions, WriteBackMode } from './imap/options.js';
import type { WriteBackResult, WriteBackVerdict } from './imap/write-back.js';
import type { AppliedImapLimits, LiveImapLimits } from './imap/live-limits.js';
import { loadPassword, type PasswordSource } from './secret.js';

export type { KeyRange, Label, MailSource, MessageKey, RawMessage, SourceIdentity } from './types.js';
export * from './errors.js';
export { Secret, loadPassword, DEFAULT_PASSWORD_ENV, type PasswordSource } from './secret.js';
export { canonicalRaw } from './raw-message.js';
export { FixtureSource, type FixtureSourceOptions } from './fixture/fixture-source.js';
export { splitMbox } from './fixture/mbox.js';
export { ImapSource } from './imap/imap-source.js';
export {
  DEFAULT_ACCOUNT_MAX_CONNECTIONS,
  parseImapUrl,
  type ConnectionCap,
  type ConnectionLease,
  type ImapAddress,
  type ImapObserver,
  type ImapSourceOptions,
  type WriteBackMode,
} from './imap/options.js';
export type { AppliedImapLimits, LiveImapLimits } from './imap/live-limits.js';
export { JUNK_KEYWORD, NOT_JUNK_KEYWORD, SPAMZK_MOVED_KEYWORD, type WriteBackResult, type WriteBackVerdict } from './imap/write-back.js';
import { FeedbackClient } from './imap/feedback-client.js';
export { FeedbackClient, imapAccountOf } from './imap/feedback-client.js';
export { parseUidSet, uidSet } from './imap/uid-set.js';
export type { TrainingFilter } from './imap/training-read.js';
export { findJunkMailbox, JUNK_SPECIAL_USE } from './imap/junk-mailbox.js';
export {
  JUNK_KEYWORDS,
  NOT_JUNK_KEYWORDS,
  type FeedbackScan,
  type ObservedMessage,
  type ScanOptions,
  type ScanPosition,
} from './imap/feedback-scan.js';

/** Everything `openSource` accepts; fixture options are ignored for IMAP and vice versa. */
export interface OpenSourceOptions extends FixtureSourceOptions, PasswordSource, Omit<ImapSourceOptions, 'url' | 'password'> {
  /** Environment to read the password variable from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export function isImapLocation(location: string): boolean {
  return /^imaps?:\/\//i.test(location);
}

/** A source for `location`, not yet open. The IMAP password is read here, from the environment or a file. */
export function openSource(location: string, opts: OpenSourceOptions = {}): MailSource {
  if (isImapLocation(location)) {
    const { passwordEnv, passwordFile, env, labelsFile: _unused, index: _noIndex, ...imap } = opts;
    const password = loadPassword({ passwordEnv, passwordFile }, env);
    return new ImapSource({ ...imap, url: location, password });
  }
  return new FixtureSource(location, { labelsFile: opts.labelsFile, ...(opts.index === undefined ? {} : { index: opts.index }) });
}

/**
 * Saves an open fixture source's scan to `file`, for processors to open with
 * the `index` option instead of scanning the mailbox themselves. An IMAP
 * source has nothing to save: false.
 */
export function saveSourceIndex(source: MailSource, file: string): boolean {
  if (!(source instanceof FixtureSource)) return false;
  source.saveIndex(file);
  return true;
}

/** The learn path's connection to the account of `location` (an IMAP URL); the password is read as openSource reads it. */
export function openFeedbackClient(location: string, opts: OpenSourceOptions = {}): FeedbackClient {
  const { passwordEnv, passwordFile, env, labelsFile: _unused, index: _noIndex, ...imap } = opts;
  return new FeedbackClient({ ...imap, url: location, password: loadPassword({ passwordEnv, passwordFile }, env) });
}

/**
 * Writes a batch's verdicts back to the mailbox (keywords or a move to Junk,
 * as the source's writeBack option says). Fixture sources are read-only.
 */
export function writeBackVerdicts(source: MailSource, verdicts: readonly WriteBackVerdict[]): Promise<WriteBackResult> {
  if (!(source instanceof ImapSource)) {
    return Promise.reject(new WriteBackError('write-back needs an IMAP source: fixture mailboxes are read-only'));
  }
  return source.writeBack(verdicts);
}

/**
 * Checks, before any work starts, that the source can take the write-back it
 * was opened with; for `move`, returns the Junk mailbox spam will go to
 * (JunkMailboxError when there is none). Opens nothing a run would not.
 */
export async function checkWriteBack(source: MailSource, mode: WriteBackMode): Promise<string | undefined> {
  if (mode === 'off') return undefined;
  if (!(source instanceof ImapSource)) throw new WriteBackError('write-back needs an IMAP source: fixture mailboxes are read-only');
  return mode === 'move' ? source.junkMailbox() : undefined;
}

/**
 * Applies live limits to an open source: an IMAP source takes them at once;
 * a fixture source has none to take (undefined).
 */
export function applySourceLimits(source: MailSource, limits: LiveImapLimits): AppliedImapLimits | undefined {
  return source instanceof ImapSource ? source.applyLimits(limits) : undefined;
}
