/**
 * Header blocks (RFC 5322 §2.2) and the MIME parameters and encoded words we
 * need from them (RFC 2045 §5.1, RFC 2047, RFC 2231). The message arrives as a
 * latin1 string (one char per byte), so a header value here is still raw bytes
 * until decodeHeaderValue() turns it into text.
 */
import { decodeBytes } from './charset.js';

export interface HeaderField {
  /** Lower-case field name. */
  readonly name: string;
  /** Unfolded raw value (latin1 string of the original bytes). */
  readonly value: string;
}

export interface SplitEntity {
  readonly headers: HeaderField[];
  /** Offset of the body in the source string, or source.length when there is none. */
  readonly bodyStart: number;
}

/** Caps the header block: a hostile message may send megabytes of "headers". */
const MAX_HEADER_FIELDS = 500;

/**
 * Splits `src[start, end)` into its header fields and the offset of its body.
 * A first line that is not a header (no colon before a space) means "no
 * headers": the whole entity is body, as mail user agents show it.
 */
export function splitEntity(src: string, start: number, end: number): SplitEntity {
  const headers: HeaderField[] = [];
  let pos = start;
  let name = '';
  let value = '';
  const flush = (): void => {
    if (name !== '' && headers.length < MAX_HEADER_FIELDS) headers.push({ name, value: value.trim() });
    name = '';
    value = '';
  };
  while (pos < end) {
    let eol = src.indexOf('\n', pos);
    if (eol < 0 || eol > end) eol = end;
    let line = src.slice(pos, eol);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '') {
      flush();
      return { headers, bodyStart: Math.min(eol + 1, end) };
    }
    const first = line.charCodeAt(0);
    if (first === 0x20 || first === 0x09) {
      if (name !== '' && value.length < 16_384) value += ' ' + line.trim();
    } else {
      const colon = line.indexOf(':');
      if (colon <= 0 || /[\s]/.test(line.slice(0, colon))) {
        // Not a header line: the header block ended without a blank line
        // (or there never was one).
        flush();
        return { headers, bodyStart: pos };
      }
      flush();
      name = line.slice(0, colon).toLowerCase();
      value = line.slice(colon + 1, colon + 1 + 16_384);
    }
    pos = eol + 1;
  }
  flush();
  return { headers, bodyStart: end };
}

export function headerValue(headers: readonly HeaderField[], name: string): string | undefined {
  for (const h of headers) if (h.name === name) return h.value;
  return undefined;
}

export interface ContentType {
  /** e.g. "text/plain", lower case. */
  readonly mimeType: string;
  readonly params: ReadonlyMap<string, string>;
}

/** Parses "type/subtype; a=b; c="d"" leniently: spammers get it wrong on purpose. */
export function parseContentType(raw: string | undefined): ContentType {
  const params = new Map<string, string>();
  if (raw === undefined) return { mimeType: 'text/plain', params };
  const parts = splitParams(raw);
  const mimeType = (parts.shift() ?? '').trim().toLowerCase().replace(/\s+/g, '') || 'text/plain';
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    let key = part.slice(0, eq).trim().toLowerCase();
    let val = part.slice(eq + 1).trim();
    if (val.startsWith('"')) val = val.slice(1, val.endsWith('"') && val.length > 1 ? -1 : undefined);
    // RFC 2231 continuations/charset prefixes: keep the first segment's value.
    const star = key.indexOf('*');
    if (star >= 0) {
      key = key.slice(0, star);
      val = val.replace(/^[^']*'[^']*'/, '');
      if (params.has(key)) {
        params.set(key, params.get(key)! + val);
        continue;
      }
    }
    if (!params.has(key)) params.set(key, val);
  }
  return { mimeType, params };
}

function splitParams(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * Turns a raw header value into text: RFC 2047 encoded words are decoded in
 * their charset; bare 8-bit bytes are read as UTF-8 (what modern senders use),
 * falling back to latin1 when they are not valid UTF-8.
 */
export function decodeHeaderValue(raw: string): string {
  let text = raw;
  if (hasHighBytes(raw)) text = decodeBytes(Buffer.from(raw, 'latin1'), 'utf-8').text;
  if (!text.includes('=?')) return text;
  // Whitespace between adjacent encoded words is not part of the text (RFC 2047 §6.2).
  text = text.replace(/\?=\s+=\?/g, '?==?');
  return text.replace(ENCODED_WORD, (_all, charset: string, enc: string, data: string) => {
    const bytes =
      enc === 'b' || enc === 'B' ? Buffer.from(data, 'base64') : decodeQEncoding(data);
    return decodeBytes(bytes, charset.replace(/\*.*$/, '')).text;
  });
}

function decodeQEncoding(data: string): Buffer {
  return Buffer.from(
    data.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  );
}

function hasHighBytes(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return true;
  return false;
}
