/**
 * One detection pass: scan the filtered mailbox and the Junk mailbox for the
 * user's corrections and append them to the learn log, each behind its
 * mailbox's cursor (ExactlyOnceLog.appendWithCursor): a correction enters the
 * log at most once, and a crash before the append loses nothing (the cursor
 * did not move, the next pass finds it again).
 */
import { createHash } from 'node:crypto';
import type { ExactlyOnceLog, Versioned } from '../../coordination/index.js';
import type { FeedbackClient, ScanPosition } from '../../sources/index.js';
import { parseUidSet, uidSetOf } from './uid-sets.js';
import { correctionsFrom, encodeCorrection, type Correction, type VerdictLookup } from './correction.js';

/** A mailbox's cursor: where it was scanned up to, and the (uid, direction) pairs already taken. */
export interface MailboxCursor {
  readonly mailbox: string;
  readonly position: ScanPosition;
  /** UID sets ("1:3,7") of the corrections already in the log or learned, by direction, under position.uidValidity. */
  readonly corrected: { readonly spam: string; readonly ham: string };
}

export interface DetectInput {
  readonly log: ExactlyOnceLog;
  readonly client: FeedbackClient;
  readonly filteredMailbox: string;
  readonly junkMailbox: string;
  readonly verdictOf: VerdictLookup;
  /** false: the flag scan even where CONDSTORE is offered. */
  readonly condstore?: boolean;
}

const MAX_TRIES = 5;

/** The corrections this pass appended (another detector's are not included). */
export async function detectCorrections(input: DetectInput): Promise<Correction[]> {
  const found: Correction[] = [];
  for (const [mailbox, role] of [[input.filteredMailbox, 'filtered'], [input.junkMailbox, 'junk']] as const) {
    found.push(...(await detectIn(input, mailbox, role)));
  }
  return found;
}

async function detectIn(input: DetectInput, mailbox: string, role: 'filtered' | 'junk'): Promise<Correction[]> {
  const cursorName = `mbox-${createHash('sha256').update(mailbox).digest('hex').slice(0, 16)}`;
  for (let tries = 1; ; tries++) {
    const stored = await input.log.readCursor(cursorName);
    const cursor = stored ? (JSON.parse(stored.data.toString('utf8')) as MailboxCursor) : undefined;
    const scan = await input.client.scan(mailbox, cursor?.position, input.condstore === false ? { condstore: false } : {});
    const sameNumbering = cursor !== undefined && cursor.position.uidValidity === scan.uidValidity;
    const taken = { spam: new Set(sameNumbering ? parseUidSet(cursor.corrected.spam) : []), ham: new Set(sameNumbering ? parseUidSet(cursor.corrected.ham) : []) };
    const fresh = correctionsFrom(scan, { account: input.client.account, role, verdictOf: input.verdictOf, now: new Date() }).filter(
      (c) => !taken[c.direction].has(c.uid),
    );
    for (const c of fresh) taken[c.direction].add(c.uid);
    const next: MailboxCursor = { mailbox, position: scan.next, corrected: { spam: uidSetOf(taken.spam), ham: uidSetOf(taken.ham) } };
    if (stored && fresh.length === 0 && samePosition(cursor, next)) return [];
    const outcome = await input.log.appendWithCursor(cursorName, stored as Versioned | undefined, Buffer.from(JSON.stringify(next)), fresh.map((c) => ({ name: c.id, data: encodeCorrection(c) })));
    if (outcome.appended) return fresh.filter((c) => outcome.names.includes(c.id));
    if (tries >= MAX_TRIES) return []; // others keep moving this cursor: they are detecting; the next pass looks again
  }
}

function samePosition(a: MailboxCursor | undefined, b: MailboxCursor): boolean {
  return a !== undefined && JSON.stringify(a.position) === JSON.stringify(b.position);
}
