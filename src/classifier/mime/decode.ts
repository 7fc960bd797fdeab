/**
 * A lean MIME decoder for classification (RFC 2045/2046): the top-level
 * headers, the text a reader sees (text/plain and text/html parts, charsets and
 * transfer encodings decoded), and the attachments by type and name, never
 * decoded.
 *
 * Why not mailparser or postal-mime: both build a full message object and
 * decode every attachment; measured on the TEST split they manage ~690 msgs/s,
 * slower than bogofilter's whole classification (docs/findings.md). This walker
 * only slices the source string and decodes the parts it tokenizes.
 *
 * Every loop is bounded (bytes read, nesting depth, part count, text length) so
 * hostile input yields a partial result plus notes, never a hang.
 */
import { decodeBytes } from './charset.js';
import { headerValue, parseContentType, splitEntity, type HeaderField } from './headers.js';
import { htmlToText } from './html.js';
import { decodeTransfer } from './transfer.js';

export interface DecodeLimits {
  /** Bytes of the raw message read; the rest is ignored (noted). */
  readonly maxBytes: number;
  /** multipart / message/rfc822 nesting depth followed. */
  readonly maxDepth: number;
  /** Parts looked at in the whole message. */
  readonly maxParts: number;
  /** Characters of decoded text kept per message. */
  readonly maxTextChars: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxBytes: 1024 * 1024,
  maxDepth: 20,
  maxParts: 200,
  maxTextChars: 256 * 1024,
};

export interface TextPart {
  readonly text: string;
  readonly html: boolean;
}

export interface AttachmentInfo {
  readonly mimeType: string;
  /** Lower-case file name, '' when there is none. */
  readonly fileName: string;
}

export interface DecodedMail {
  readonly headers: HeaderField[];
  readonly texts: TextPart[];
  readonly urls: string[];
  /** MIME types of every part, containers included, in document order. */
  readonly partTypes: string[];
  readonly charsets: string[];
  readonly attachments: AttachmentInfo[];
  /** Why the result is partial or approximate; empty for a clean message. */
  readonly notes: string[];
}

interface Walk {
  readonly src: string;
  readonly limits: DecodeLimits;
  readonly mail: DecodedMail;
  textChars: number;
  parts: number;
  depthNoted: boolean;
}

export function decodeMail(raw: Buffer, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodedMail {
  const mail: DecodedMail = {
    headers: [], texts: [], urls: [], partTypes: [], charsets: [], attachments: [], notes: [],
  };
  let bytes = raw;
  if (raw.length > limits.maxBytes) {
    bytes = raw.subarray(0, limits.maxBytes);
    mail.notes.push(`size cap: read ${limits.maxBytes} of ${raw.length} bytes`);
  }
  if (bytes.length === 0) {
    mail.notes.push('empty message');
    return mail;
  }
  const src = bytes.toString('latin1');
  if (src.includes('\0')) mail.notes.push('NUL bytes in message');
  const walk: Walk = { src, limits, mail, textChars: 0, parts: 0, depthNoted: false };
  const top = splitEntity(src, envelopeLength(src), src.length);
  mail.headers.push(...top.headers);
  if (top.headers.length === 0) mail.notes.push('no headers');
  else if (top.bodyStart >= src.length) mail.notes.push('no body');
  walkEntity(walk, top.headers, top.bodyStart, src.length, 0);
  return mail;
}

/**
 * A file saved from an mbox often starts with its "From sender date" envelope
 * line (RFC 4155), which is not a header: without skipping it, the whole
 * header block would be read as body text.
 */
function envelopeLength(src: string): number {
  if (!src.startsWith('From ')) return 0;
  const eol = src.indexOf('\n');
  return eol < 0 ? src.length : eol + 1;
}

function walkEntity(w: Walk, headers: HeaderField[], start: number, end: number, depth: number): void {
  if (++w.parts > w.limits.maxParts) {
    if (w.parts === w.limits.maxParts + 1) w.mail.notes.push(`more than ${w.limits.maxParts} MIME parts: the rest skipped`);
    return;
  }
  const ctype = parseContentType(headerValue(headers, 'content-type'));
  w.mail.partTypes.push(ctype.mimeType);
  const charset = ctype.params.get('charset');
  if (charset !== undefined && w.mail.charsets.length < 16) w.mail.charsets.push(charset.toLowerCase());

  const isContainer = ctype.mimeType.startsWith('multipart/') || ctype.mimeType === 'message/rfc822';
  if (isContainer && depth >= w.limits.maxDepth) {
    if (!w.depthNoted) w.mail.notes.push(`MIME nesting deeper than ${w.limits.maxDepth}: inner parts skipped`);
    w.depthNoted = true;
    return;
  }
  if (ctype.mimeType.startsWith('multipart/')) {
    const boundary = ctype.params.get('boundary');
    if (boundary === undefined || boundary === '') {
      w.mail.notes.push(`${ctype.mimeType} without a boundary: read as text`);
      addText(w, headers, start, end, charset, false);
      return;
    }
    for (const [s, e] of splitMultipart(w.src, start, end, boundary)) {
      if (w.parts > w.limits.maxParts) {
        walkEntity(w, [], e, e, depth + 1); // records the "more than N parts" note once
        break;
      }
      const part = splitEntity(w.src, s, e);
      walkEntity(w, part.headers, part.bodyStart, e, depth + 1);
    }
    return;
  }
  if (ctype.mimeType === 'message/rfc822') {
    const inner = splitEntity(w.src, start, end);
    walkEntity(w, inner.headers, inner.bodyStart, end, depth + 1);
    return;
  }
  const disposition = (headerValue(headers, 'content-disposition') ?? '').toLowerCase();
  const fileName = attachmentName(headers, ctype.params.get('name'));
  const isText = ctype.mimeType === 'text/plain' || ctype.mimeType === 'text/html' || ctype.mimeType === 'text/enriched';
  if (isText && !disposition.startsWith('attachment')) {
    addText(w, headers, start, end, charset, ctype.mimeType === 'text/html');
  } else {
    if (w.mail.attachments.length < 32) w.mail.attachments.push({ mimeType: ctype.mimeType, fileName });
  }
}

function addText(w: Walk, headers: HeaderField[], start: number, end: number, charset: string | undefined, html: boolean): void {
  const room = w.limits.maxTextChars - w.textChars;
  if (room <= 0) {
    noteTextCap(w);
    return;
  }
  const encoding = headerValue(headers, 'content-transfer-encoding');
  // Encoded forms are at most ~4/3 of the text they carry: slicing a bit more than the room is enough.
  const rawEnd = Math.min(end, start + room * 4);
  const decoded = decodeTransfer(w.src.slice(start, rawEnd), encoding);
  if (decoded.problem !== undefined) w.mail.notes.push(decoded.problem);
  const { text, known } = decodeBytes(decoded.bytes, charset);
  if (!known) w.mail.notes.push(`unknown charset "${(charset ?? '').slice(0, 40)}": read as windows-1252`);
  let body = text;
  if (text.length > room || rawEnd < end) {
    body = text.slice(0, room);
    noteTextCap(w);
  }
  if (html) {
    const h = htmlToText(body);
    for (const url of h.urls) if (w.mail.urls.length < 200) w.mail.urls.push(url);
    body = h.text;
  }
  w.textChars += body.length;
  w.mail.texts.push({ text: body, html });
}

function noteTextCap(w: Walk): void {
  const note = `text cap: only the first ${w.limits.maxTextChars} characters of text read`;
  if (!w.mail.notes.includes(note)) w.mail.notes.push(note);
}

function attachmentName(headers: HeaderField[], ctypeName: string | undefined): string {
  const disposition = headerValue(headers, 'content-disposition');
  const name = disposition === undefined ? ctypeName : parseContentType(disposition).params.get('filename') ?? ctypeName;
  return (name ?? '').toLowerCase().slice(0, 100);
}

/**
 * The body ranges between "--boundary" delimiter lines (RFC 2046 §5.1.1).
 * The preamble and epilogue are dropped; a missing close delimiter (a
 * truncated message) ends the last part at `end`.
 */
function splitMultipart(src: string, start: number, end: number, boundary: string): Array<[number, number]> {
  const delim = '--' + boundary;
  const ranges: Array<[number, number]> = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const at = src.indexOf(delim, pos);
    if (at < 0 || at >= end) break;
    const atLineStart = at === start || src.charCodeAt(at - 1) === 0x0a;
    pos = at + delim.length;
    const isClose = src.startsWith('--', pos);
    // "--abc" must not match the longer boundary "--abcdef" of a nested part.
    if (!atLineStart || (!isClose && pos < end && !isLineSpace(src.charCodeAt(pos)))) continue;
    if (partStart >= 0) {
      let partEnd = at > 0 && src.charCodeAt(at - 1) === 0x0a ? at - 1 : at;
      if (partEnd > partStart && src.charCodeAt(partEnd - 1) === 0x0d) partEnd--;
      ranges.push([partStart, Math.max(partStart, partEnd)]);
    }
    if (isClose) return ranges;
    const eol = src.indexOf('\n', pos);
    partStart = eol < 0 || eol >= end ? end : eol + 1;
  }
  if (partStart >= 0 && partStart < end) ranges.push([partStart, end]);
  return ranges;
}

function isLineSpace(code: number): boolean {
  return code === 0x0a || code === 0x0d || code === 0x20 || code === 0x09;
}
