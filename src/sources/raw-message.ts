/**
 * What "raw bytes" means in spamzk: the message exactly as an IMAP server
 * delivers `BODY.PEEK[]`. IMAP sources pass the server's bytes through
 * untouched; fixture readers produce the same form from files on disk (which,
 * like Dovecot's Maildir, use LF), changing only what an IMAP literal changes:
 * - each bare LF becomes CRLF (RFC 5322 canonical line ends, RFC 3501 §2.2);
 * - each NUL byte becomes 0x80, as Dovecot sends it: a literal may not carry
 *   NUL (RFC 3501 §4.3);
 * - nothing else: a bare CR stays a bare CR, as Dovecot leaves it, and a
 *   missing final newline stays missing.
 * So a fixture and the same fixture loaded into Dovecot yield identical bytes
 * (test/sources/agreement.test.ts).
 */
const LF = 0x0a;
const CR = 0x0d;
const NUL = 0x00;
const NUL_REPLACEMENT = 0x80;

/** The canonical raw form of a message read from a file. Returns the input when nothing changes. */
export function canonicalRaw(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = raw.indexOf(LF); i >= 0; i = raw.indexOf(LF, i + 1)) {
    if (i === 0 || raw[i - 1] !== CR) bare++;
  }
  const hasNul = raw.indexOf(NUL) >= 0;
  if (bare === 0 && !hasNul) return raw;
  const out = Buffer.allocUnsafe(raw.length + bare);
  let from = 0;
  let to = 0;
  for (let i = raw.indexOf(LF); i >= 0; i = raw.indexOf(LF, i + 1)) {
    if (i > 0 && raw[i - 1] === CR) continue;
    to += raw.copy(out, to, from, i);
    out[to++] = CR;
    out[to++] = LF;
    from = i + 1;
  }
  to += raw.copy(out, to, from);
  if (hasNul) {
    for (let i = out.indexOf(NUL); i >= 0 && i < to; i = out.indexOf(NUL, i + 1)) out[i] = NUL_REPLACEMENT;
  }
  return out.subarray(0, to);
}
