/**
 * The header fields that name a message to a person (issue 13: a report that
 * says "42 spam" must also say which 42). Decoded with the classifier's own
 * RFC 2047 decoder, made one line and cut to a length a table can show; they
 * travel in the done marker, so every character here costs ZooKeeper bytes.
 */
import { decodeHeaderValue, headerValue, splitEntity } from '../classifier/index.js';
import type { MessageHeaders } from '../report/index.js';

/** Longest value kept per field, in characters (a Subject beyond this is cut with "…"). */
export const HEADER_CHARS = { messageId: 100, from: 80, subject: 100, date: 40 } as const;
/** Header blocks beyond this many bytes are not read for names (a hostile message may send megabytes). */
const HEADER_SCAN_BYTES = 64 * 1024;

export function messageHeadersOf(raw: Buffer): MessageHeaders {
  const src = raw.subarray(0, HEADER_SCAN_BYTES).toString('latin1');
  const { headers } = splitEntity(src, 0, src.length);
  const field = (name: string, max: number): string | undefined => {
    const value = headerValue(headers, name);
    if (value === undefined) return undefined;
    const text = oneLine(decodeHeaderValue(value));
    if (text === '') return undefined;
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  };
  const messageId = field('message-id', HEADER_CHARS.messageId);
  const from = field('from', HEADER_CHARS.from);
  const subject = field('subject', HEADER_CHARS.subject);
  const date = normalDate(field('date', HEADER_CHARS.date));
  return {
    ...(messageId !== undefined ? { messageId } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(date !== undefined ? { date } : {}),
  };
}

/** ISO 8601 UTC to the second when the field parses; else the field as written. */
export function normalDate(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? isoSeconds(ms) : text;
}

export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
}
