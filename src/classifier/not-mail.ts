/**
 * The not-mail rule: input whose first line (after an mbox "From " envelope
 * line) is not an RFC 5322 header field ("name:", the name printable US-ASCII
 * without ':', RFC 5322 section 2.2) is not a message. A 0-byte file, random
 * bytes or a program would otherwise be scored on whatever tokens fall out of
 * them, and a verdict like "spam 0.999978" says something false; such input
 * is "unsure" at score 0.5 with a note saying why, so that every consumer
 * (classify, reports, done markers) shows it without a label of its own.
 */
import type { Verdict } from './types.js';

export const NOT_MAIL_PREFIX = 'not an RFC 5322 message';

/** The decoder's own notes that the not-mail note makes redundant. */
const SUPERSEDED = new Set(['empty message', 'no headers']);

const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;

/** Why `raw` is not a message, or undefined when its first line is a header field. */
export function notMailReason(raw: Buffer): string | undefined {
  if (raw.length === 0) return `${NOT_MAIL_PREFIX}: empty`;
  // Only the first line matters; 1000 bytes is RFC 5322's line limit.
  let head = raw.subarray(0, 2000).toString('latin1');
  if (head.startsWith('From ')) {
    const eol = head.indexOf('\n');
    head = eol < 0 ? '' : head.slice(eol + 1);
  }
  return FIELD_NAME.test(head) ? undefined : `${NOT_MAIL_PREFIX}: no header lines`;
}

export function notMailVerdict(reason: string, decoderNotes: readonly string[]): Verdict {
  return { label: 'unsure', score: 0.5, logOdds: 0, notes: [reason, ...decoderNotes.filter((n) => !SUPERSEDED.has(n))] };
}

export function isNotMail(verdict: Verdict): boolean {
  return verdict.notes?.[0]?.startsWith(NOT_MAIL_PREFIX) === true;
}
