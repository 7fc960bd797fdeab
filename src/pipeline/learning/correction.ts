/**
 * A user's correction, as the learn log records it, and the rules that turn
 * what a feedback scan saw into corrections (docs/design.md, "Reading what the
 * user changed").
 */
import { createHash } from 'node:crypto';
import type { VerdictLabel } from '../../classifier/index.js';
import { JUNK_KEYWORDS, NOT_JUNK_KEYWORDS, SPAMZK_MOVED_KEYWORD, type FeedbackScan } from '../../sources/index.js';

export type Direction = 'spam' | 'ham';
export type CorrectionReason = 'moved-to-junk' | 'moved-from-junk' | 'keyword';

export interface Correction {
  /** sha256(account, mailbox, uidValidity, uid, direction), 24 hex digits: the same correction found twice has the same id. */
  readonly id: string;
  readonly direction: Direction;
  readonly mailbox: string;
  readonly uidValidity: number;
  readonly uid: number;
  readonly messageId?: string;
  readonly reason: CorrectionReason;
  /** When the detector saw it (its wall clock, for humans). */
  readonly seenAt: string;
}

export function correctionId(account: string, mailbox: string, uidValidity: number, uid: number, direction: Direction): string {
  return createHash('sha256').update(JSON.stringify([account, mailbox, uidValidity, uid, direction])).digest('hex').slice(0, 24);
}

export function encodeCorrection(c: Correction): Buffer {
  return Buffer.from(JSON.stringify(c));
}

export function decodeCorrection(data: Buffer, where: string): Correction {
  const c = JSON.parse(data.toString('utf8')) as Correction;
  if (typeof c.id !== 'string' || (c.direction !== 'spam' && c.direction !== 'ham') || !Number.isInteger(c.uid) || typeof c.mailbox !== 'string') {
    throw new Error(`${where} is not a spamzk correction record`);
  }
  return c;
}

/** What spamzk said about a message of the filtered mailbox, by UID (undefined: not classified yet). */
export type VerdictLookup = (uid: number) => VerdictLabel | 'failed' | undefined;

export interface CorrectionContext {
  readonly account: string;
  /** 'junk': the Junk mailbox; 'filtered': the mailbox spamzk classifies. */
  readonly role: 'junk' | 'filtered';
  readonly verdictOf: VerdictLookup;
  readonly now: Date;
}

const has = (keywords: readonly string[], set: readonly string[]): boolean => keywords.some((k) => set.includes(k));

/** The corrections one scan shows, at most one per (uid, direction). */
export function correctionsFrom(scan: FeedbackScan, ctx: CorrectionContext): Correction[] {
  const out = new Map<string, Correction>();
  const add = (uid: number, direction: Direction, reason: CorrectionReason, messageId: string | undefined): void => {
    const id = correctionId(ctx.account, scan.mailbox, scan.uidValidity, uid, direction);
    const c = { id, direction, mailbox: scan.mailbox, uidValidity: scan.uidValidity, uid, reason, seenAt: ctx.now.toISOString() };
    out.set(id, messageId ? { ...c, messageId } : c);
  };
  for (const m of scan.arrivals) {
    const stamped = m.keywords.includes(SPAMZK_MOVED_KEYWORD);
    // Into Junk by the user (spamzk's own moves carry its stamp); out of Junk: a stamped message back in the filtered mailbox.
    if (ctx.role === 'junk' && !stamped) add(m.uid, 'spam', 'moved-to-junk', m.messageId);
    if (ctx.role === 'filtered' && stamped) add(m.uid, 'ham', 'moved-from-junk', m.messageId);
  }
  if (ctx.role === 'filtered') {
    for (const m of scan.flagged) {
      const junk = has(m.keywords, JUNK_KEYWORDS);
      const notJunk = has(m.keywords, NOT_JUNK_KEYWORDS);
      if (junk === notJunk) continue; // neither, or both: no clear word from the user
      const verdict = ctx.verdictOf(m.uid);
      if (verdict === undefined || verdict === 'failed') continue; // spamzk gave no verdict to disagree with
      if (junk && verdict !== 'spam') add(m.uid, 'spam', 'keyword', m.messageId);
      if (notJunk && verdict === 'spam') add(m.uid, 'ham', 'keyword', m.messageId);
    }
  }
  return [...out.values()];
}
