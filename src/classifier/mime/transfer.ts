/**
 * Content-Transfer-Encoding (RFC 2045 §6) decoders, lenient by design: spam
 * often carries broken encodings, and the classifier wants what a mail reader
 * would show, plus the knowledge that the encoding was broken.
 */

export interface TransferDecoded {
  readonly bytes: Buffer;
  /** Set when the input was not valid in its declared encoding. */
  readonly problem?: string;
}

/** `raw` is a latin1 string (one char per byte). */
export function decodeTransfer(raw: string, encoding: string | undefined): TransferDecoded {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === 'base64') return decodeBase64(raw);
  if (enc === 'quoted-printable') return { bytes: decodeQuotedPrintable(raw) };
  return { bytes: Buffer.from(raw, 'latin1') };
}

const BASE64_JUNK = /[^A-Za-z0-9+/=\s]/;

function decodeBase64(raw: string): TransferDecoded {
  // Node skips whitespace and stops at nothing: it drops characters outside
  // the alphabet, which is the lenient reading we want.
  const bytes = Buffer.from(raw, 'base64');
  if (BASE64_JUNK.test(raw)) return { bytes, problem: 'invalid base64 (characters outside the alphabet were skipped)' };
  return { bytes };
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

export function decodeQuotedPrintable(raw: string): Buffer {
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  const len = raw.length;
  for (let i = 0; i < len; i++) {
    const c = raw.charCodeAt(i);
    if (c !== 0x3d) {
      out[n++] = c;
      continue;
    }
    // "=" followed by optional spaces and a line break is a soft line break.
    let j = i + 1;
    while (j < len && (raw.charCodeAt(j) === 0x20 || raw.charCodeAt(j) === 0x09)) j++;
    if (j < len && raw.charCodeAt(j) === 0x0d) j++;
    if (j < len && raw.charCodeAt(j) === 0x0a) {
      i = j;
      continue;
    }
    if (j >= len) {
      i = j;
      continue;
    }
    const hi = i + 2 < len ? hexValue(raw.charCodeAt(i + 1)) : -1;
    const lo = i + 2 < len ? hexValue(raw.charCodeAt(i + 2)) : -1;
    if (hi >= 0 && lo >= 0) {
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else {
      out[n++] = c; // a lone "=" is kept, as readers do
    }
  }
  return out.subarray(0, n);
}
