/**
 * What the user changed in one mailbox since a scan position: messages that
 * arrived (UID above the last one seen) and messages whose keywords changed.
 *
 * With CONDSTORE (RFC 7162) the keyword part is `UID FETCH 1:* (FLAGS)
 * (CHANGEDSINCE <modseq>)`: only what changed since the last pass travels.
 * Without it, a flag scan (`UID SEARCH` for the junk keywords) finds every
 * message carrying one; the caller's record of what it already took
 * (docs/design.md, "Reading what the user changed") keeps that exactly once.
 * Everything is read with FLAGS and ENVELOPE only: no body, no `\Seen` change.
 */
import type { FetchMessageObject, ImapFlow, MailboxObject } from 'imapflow';
import { ImapMailboxError, UidValidityChangedError } from '../errors.js';
import { uidSet } from './uid-set.js';

/** The keywords mail clients set for "junk" and "not junk" (RFC 5788 registry; Thunderbird's own pair). */
export const JUNK_KEYWORDS: readonly string[] = ['$Junk', 'Junk'];
export const NOT_JUNK_KEYWORDS: readonly string[] = ['$NotJunk', 'NonJunk'];

/** Where a mailbox was read up to. `highestModseq` is a decimal string (a 63-bit number). */
export interface ScanPosition {
  readonly uidValidity: number;
  readonly lastUid: number;
  readonly highestModseq?: string;
}

export interface ObservedMessage {
  readonly uid: number;
  readonly messageId?: string;
  readonly keywords: readonly string[];
}

export interface FeedbackScan {
  readonly mailbox: string;
  readonly uidValidity: number;
  /** Messages with a UID above the position's (none on a first scan, which only sets the baseline). */
  readonly arrivals: readonly ObservedMessage[];
  /** Messages whose keywords changed (CONDSTORE) or that carry a junk keyword (flag scan). */
  readonly flagged: readonly ObservedMessage[];
  readonly method: 'condstore' | 'flag-scan';
  readonly next: ScanPosition;
}

export interface ScanOptions {
  /** Use CONDSTORE when offered (default true; false forces the flag scan, for tests and odd servers). */
  readonly condstore?: boolean;
}

/**
 * Scans `mailbox` (selected read-only here). A UIDVALIDITY other than the
 * position's is a new numbering: the scan starts a new baseline there
 * rather than taking every message for an arrival.
 */
export async function scanFeedback(client: ImapFlow, mailbox: string, since: ScanPosition | undefined, opts: ScanOptions = {}): Promise<FeedbackScan> {
  const box = await openMailbox(client, mailbox);
  const uidValidity = Number(box.uidValidity);
  const lastUid = Math.max(0, box.uidNext - 1);
  const highestModseq = box.highestModseq !== undefined ? box.highestModseq.toString() : undefined;
  const condstore = opts.condstore !== false && highestModseq !== undefined;
  const next: ScanPosition = { uidValidity, lastUid, ...(condstore && highestModseq ? { highestModseq } : {}) };
  const fresh = since === undefined || since.uidValidity !== uidValidity;
  if (box.exists === 0) return { mailbox, uidValidity, arrivals: [], flagged: [], method: condstore ? 'condstore' : 'flag-scan', next };
  const arrivals = fresh || lastUid <= since.lastUid ? [] : await observe(client, `${since.lastUid + 1}:${lastUid}`, {});
  const changedSince = !fresh && condstore && since.highestModseq !== undefined ? BigInt(since.highestModseq) : undefined;
  const flagged = changedSince !== undefined ? await observe(client, '1:*', { changedSince }) : await flagScan(client);
  return {
    mailbox,
    uidValidity,
    arrivals: arrivals.filter((m) => since === undefined || m.uid > since.lastUid),
    flagged,
    method: changedSince !== undefined ? 'condstore' : 'flag-scan',
    next,
  };
}

async function flagScan(client: ImapFlow): Promise<ObservedMessage[]> {
  const keywords = [...JUNK_KEYWORDS, ...NOT_JUNK_KEYWORDS];
  const found = await client.search({ or: keywords.map((keyword) => ({ keyword })) }, { uid: true });
  const uids = Array.isArray(found) ? found : [];
  return uids.length === 0 ? [] : observe(client, uidSet(uids), {});
}

async function observe(client: ImapFlow, range: string, opts: { changedSince?: bigint }): Promise<ObservedMessage[]> {
  const out: ObservedMessage[] = [];
  // Never issue a command inside this loop: imapflow deadlocks (docs/findings.md).
  for await (const m of client.fetch(range, { uid: true, flags: true, envelope: true }, { uid: true, ...opts })) out.push(observed(m));
  return out;
}

function observed(m: FetchMessageObject): ObservedMessage {
  const keywords = [...(m.flags ?? new Set<string>())].filter((f) => !f.startsWith('\\'));
  return { uid: m.uid, ...(m.envelope?.messageId ? { messageId: m.envelope.messageId } : {}), keywords };
}

/** Raw bytes of `uids` in `mailbox` (BODY.PEEK: `\Seen` is left alone); a UID no longer there is absent from the map. */
export async function fetchForLearning(client: ImapFlow, mailbox: string, uidValidity: number, uids: readonly number[]): Promise<Map<number, Buffer>> {
  const box = await openMailbox(client, mailbox);
  if (Number(box.uidValidity) !== uidValidity) throw new UidValidityChangedError(mailbox, uidValidity, Number(box.uidValidity));
  const out = new Map<number, Buffer>();
  if (uids.length === 0) return out;
  for await (const m of client.fetch(uidSet(uids), { uid: true, source: true }, { uid: true })) {
    if (m.source) out.set(m.uid, m.source);
  }
  return out;
}

/** imapflow rejects a SELECT of a missing mailbox with a bare "Command failed": name the mailbox. */
async function openMailbox(client: ImapFlow, mailbox: string): Promise<MailboxObject> {
  try {
    return await client.mailboxOpen(mailbox, { readOnly: true });
  } catch (err) {
    const e = err as { responseText?: string; message?: string };
    if (client.usable) throw new ImapMailboxError(`cannot open mailbox ${JSON.stringify(mailbox)}: ${e.responseText ?? e.message ?? String(err)}`, { cause: err });
    throw err;
  }
}
