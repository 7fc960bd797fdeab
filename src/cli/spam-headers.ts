/**
 * `classify --passthrough`: the message with our verdict prepended as header
 * fields, in the conventions that procmail, maildrop and sieve recipes match
 * on (SpamAssassin's X-Spam-Status/X-Spam-Flag, bogofilter's spamicity as
 * X-Spam-Score). Every other byte of the message is kept as it came: the
 * fields go first (after an mbox "From " envelope line, which must stay
 * first), in the message's own line ending. Fields of these names already in
 * the message are dropped, as SpamAssassin drops its own: a sender could
 * otherwise forge "X-Spam-Status: No" for a filter to read.
 */
import type { Verdict } from '../classifier/index.js';

export const OUR_FIELDS = ['X-Spam-Status', 'X-Spam-Score', 'X-Spam-Flag', 'X-Spam-Notes'] as const;

export interface HeaderFacts {
  readonly verdict: Verdict;
  readonly spamCutoff: number;
  readonly hamCutoff: number;
  readonly modelId: string;
  readonly version: string;
}

const STATUS = { spam: 'Yes', ham: 'No', unsure: 'Unsure' } as const;

export function spamHeaderFields(f: HeaderFacts): string[] {
  const v = f.verdict;
  const fields = [
    `X-Spam-Status: ${STATUS[v.label]}, score=${v.score.toFixed(6)} required=${f.spamCutoff} ham-cutoff=${f.hamCutoff} model=${f.modelId.slice(0, 12)} version=spamzk-${f.version}`,
    `X-Spam-Score: ${v.score.toFixed(6)}`,
  ];
  if (v.label === 'spam') fields.push('X-Spam-Flag: YES');
  // Notes may quote message text: no control characters may reach a header.
  if (v.notes?.length) fields.push(`X-Spam-Notes: ${v.notes.join('; ').replace(/[\x00-\x1f\x7f]+/g, ' ')}`);
  return fields;
}

/** `raw` with `fields` prepended and our old fields removed from its header block. */
export function withSpamHeaders(raw: Buffer, fields: readonly string[], isMail: boolean): Buffer {
  const src = raw.toString('latin1');
  const envelopeEnd = src.startsWith('From ') ? lineEnd(src, 0) : 0;
  const firstEol = src.indexOf('\n', envelopeEnd);
  const eol = firstEol > 0 && src[firstEol - 1] === '\r' ? '\r\n' : '\n';
  const ours = fields.map((f) => f + eol).join('');
  // Input that is not mail has no header block to join: ours get one of their own, the input becomes the body.
  if (!isMail) return Buffer.from(src.slice(0, envelopeEnd) + ours + eol + src.slice(envelopeEnd), 'latin1');
  const names = new Set(OUR_FIELDS.map((n) => n.toLowerCase()));
  let kept = '';
  let dropping = false;
  let pos = envelopeEnd;
  while (pos < src.length) {
    const end = lineEnd(src, pos);
    const line = src.slice(pos, end);
    if (line === '\n' || line === '\r\n') break;
    const continued = line.startsWith(' ') || line.startsWith('\t');
    if (!continued) {
      const colon = line.indexOf(':');
      dropping = colon > 0 && names.has(line.slice(0, colon).trim().toLowerCase());
    }
    if (!dropping) kept += line;
    pos = end;
  }
  return Buffer.from(src.slice(0, envelopeEnd) + ours + kept + src.slice(pos), 'latin1');
}

function lineEnd(src: string, from: number): number {
  const nl = src.indexOf('\n', from);
  return nl < 0 ? src.length : nl + 1;
}
