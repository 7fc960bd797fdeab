/**
 * What "raw bytes" means in spamzk: the message exactly as an IMAP server
 * delivers `BODY.PEEK[]`, i.e. RFC 5322 canonical form with CRLF line ends.
 * IMAP sources pass the server's bytes through untouched; fixture readers turn
 * each bare LF into CRLF (files on disk, like Dovecot's Maildir, use LF) and
 * change nothing else: a bare CR stays a bare CR, as Dovecot leaves it, and a
 * missing final newline stays missing. So a fixture and the same fixture loaded
 * into Dovecot yield identical bytes (test/sources/agreement.test.ts).
 */
const LF = 0x0a;
const CR = 0x0d;

/** Bare LF becomes CRLF; everything else is kept. Returns the input when nothing changes. */
export function toCanonicalLineEnds(raw: Buffer): Buffer {
  let bare = 0;
  for (let i = raw.indexOf(LF); i >= 0; i = raw.indexOf(LF, i + 1)) {
    if (i === 0 || raw[i - 1] !== CR) bare++;
  }
  if (bare === 0) return raw;
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
  return out.subarray(0, to);
}
