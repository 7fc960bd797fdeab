/**
 * The malformed-mail catalogue: each entry is one crafted message and a line
 * saying what is wrong with it. Everything is deterministic (no clock, a
 * seeded generator for garbage), so the committed files can be rebuilt byte
 * for byte. `large` entries (10 MB lines, 20 MB attachments) are not committed:
 * scripts/setup.sh generates them.
 */

export interface CraftedMessage {
  /** File stem, [a-z0-9-]+. */
  readonly name: string;
  readonly defect: string;
  readonly large?: boolean;
  readonly build: () => Buffer;
}

const MB = 1024 * 1024;

/** A small LCG: deterministic garbage, not cryptography. */
function garbage(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const b = (...parts: (string | Buffer)[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));

function headers(subject: string, extra = ''): string {
  return (
    'From: "Malformed Corpus" <corpus@example.org>\n' +
    'To: inbox@example.net\n' +
    `Subject: ${subject}\n` +
    'Date: Sat, 21 Nov 2026 12:00:00 +0000\n' +
    `Message-ID: <${subject.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}@malformed.example.org>\n` +
    'MIME-Version: 1.0\n' +
    extra
  );
}

const TEXT = 'Cheap meds and a free prize await you, click here now to claim your winnings.\n';
const HAM = 'Hi team, the meeting notes from Tuesday are attached; see you at the review.\n';

function nested(levels: number, kind: 'multipart' | 'rfc822' | 'alternating', close: boolean): Buffer {
  const open: string[] = [];
  const tail: string[] = [];
  for (let i = 0; i < levels; i++) {
    const asMultipart = kind === 'multipart' || (kind === 'alternating' && i % 2 === 0);
    if (asMultipart) {
      open.push(`Content-Type: multipart/mixed; boundary="lvl${i}"\n\n--lvl${i}\n`);
      tail.unshift(`\n--lvl${i}--\n`);
    } else {
      open.push('Content-Type: message/rfc822\n\n' + `Subject: level ${i}\n`);
    }
  }
  return b(headers(`nested ${levels} ${kind}`), open.join(''), 'Content-Type: text/plain\n\n', TEXT, close ? tail.join('') : '');
}

function multipart(subject: string, boundaryParam: string, body: string): Buffer {
  return b(headers(subject, `Content-Type: multipart/mixed; ${boundaryParam}\n`), '\n', body);
}

function part(cte: string, content: string | Buffer, type = 'text/plain; charset=us-ascii'): Buffer {
  return b(headers(`part ${cte}`, `Content-Type: ${type}\nContent-Transfer-Encoding: ${cte}\n`), '\n', content);
}

function charset(cs: string, body: string | Buffer, cte = '8bit'): Buffer {
  return b(headers(`charset ${cs.slice(0, 30)}`, `Content-Type: text/plain; charset=${cs}\nContent-Transfer-Encoding: ${cte}\n`), '\n', body);
}

const boundaries: CraftedMessage[] = [
  { name: 'boundary-declared-never-used', defect: 'multipart boundary declared but no delimiter line in the body', build: () => multipart('never used', 'boundary="abc"', TEXT) },
  { name: 'boundary-no-close', defect: 'multipart without its closing delimiter', build: () => multipart('no close', 'boundary="abc"', `--abc\nContent-Type: text/plain\n\n${TEXT}`) },
  { name: 'boundary-missing-param', defect: 'multipart/mixed with no boundary parameter', build: () => multipart('missing param', 'charset=us-ascii', `--abc\n\n${TEXT}--abc--\n`) },
  { name: 'boundary-empty', defect: 'boundary="" (empty)', build: () => multipart('empty boundary', 'boundary=""', `--\n\n${TEXT}----\n`) },
  { name: 'boundary-too-long', defect: 'boundary of 300 characters (RFC 2046 allows 70)', build: () => multipart('long boundary', `boundary="${'x'.repeat(300)}"`, `--${'x'.repeat(300)}\n\n${TEXT}--${'x'.repeat(300)}--\n`) },
  { name: 'boundary-regex-chars', defect: 'boundary made of regular-expression metacharacters', build: () => multipart('regex boundary', 'boundary="(.*+?)[^$]|\\\\"', `--(.*+?)[^$]|\\\\\n\n${TEXT}--(.*+?)[^$]|\\\\--\n`) },
  { name: 'boundary-reused-by-child', defect: 'a nested multipart reuses its parent\'s boundary', build: () => multipart('reused', 'boundary="same"', `--same\nContent-Type: multipart/alternative; boundary="same"\n\n--same\n\n${TEXT}--same--\n--same--\n`) },
  { name: 'boundary-close-first', defect: 'closing delimiter before any part', build: () => multipart('close first', 'boundary="abc"', `--abc--\n--abc\n\n${TEXT}`) },
  { name: 'boundary-part-without-headers', defect: 'parts with no header block and no blank line', build: () => multipart('no part headers', 'boundary="abc"', `--abc\n${TEXT}--abc\n${HAM}--abc--\n`) },
  { name: 'boundary-case-mismatch', defect: 'delimiter lines differ in case from the declared boundary', build: () => multipart('case', 'boundary="AbC"', `--abc\n\n${TEXT}--ABC--\n`) },
  { name: 'boundary-fake-in-epilogue', defect: 'preamble and epilogue full of near-miss delimiter lines', build: () => multipart('epilogue', 'boundary="abc"', `${'--ab\n-abc\n--abcd\n'.repeat(50)}--abc\n\n${TEXT}--abc--\n${'--abc\n'.repeat(50)}`) },
  { name: 'boundary-zero-parts', defect: 'multipart with no part at all (only the close delimiter)', build: () => multipart('zero parts', 'boundary="abc"', '--abc--\n') },
  { name: 'boundary-trailing-junk', defect: 'delimiter lines followed by whitespace and junk', build: () => multipart('junk', 'boundary="abc"', `--abc   junk here\n\n${TEXT}--abc--\t more junk\n`) },
  { name: 'boundary-unterminated-quote', defect: 'boundary parameter with an unterminated quote', build: () => multipart('quote', 'boundary="abc', `--abc\n\n${TEXT}--abc--\n`) },
  { name: 'boundary-5000-parts', defect: '5000 tiny parts (beyond any sane part limit)', build: () => multipart('5000 parts', 'boundary="p"', `${'--p\n\nx\n'.repeat(5000)}--p--\n`) },
];

const base64: CraftedMessage[] = [
  { name: 'base64-illegal-chars', defect: 'base64 body with characters outside the alphabet (!@#%)', build: () => part('base64', 'Q2hlYXAg!!bWVkcyBh@@bmQgYSBm#cmVl%%IHByaXpl\n') },
  { name: 'base64-bad-padding', defect: 'base64 with wrong padding (=== and = mid-quad)', build: () => part('base64', 'Q2hlYXA===\nbWV=kcyBh\n') },
  { name: 'base64-truncated-quad', defect: 'base64 cut in the middle of a 4-character group', build: () => part('base64', 'Q2hlYXAgbWVkcyBhbmQgYSBmcmVlIHByaXpl\nQ2h\n') },
  { name: 'base64-not-base64', defect: 'Content-Transfer-Encoding: base64 over plain text', build: () => part('base64', TEXT + HAM) },
  { name: 'base64-equals-inside', defect: 'padding characters in the middle of the data', build: () => part('base64', 'Q2hl=YXAg=bWVk=cyBh\nbmQg=YSBm\n') },
  { name: 'base64-empty', defect: 'base64 part with an empty body', build: () => part('base64', '') },
  { name: 'base64-one-long-line', defect: 'base64 as a single 60 KB line', build: () => part('base64', garbage(45_000, 7).toString('base64') + '\n') },
  { name: 'base64-urlsafe-alphabet', defect: 'URL-safe alphabet (-_) where standard base64 is declared', build: () => part('base64', Buffer.from(TEXT.repeat(3)).toString('base64url') + '\n') },
  { name: 'base64-binary-as-text', defect: 'base64 of random binary declared text/plain; charset=utf-8', build: () => part('base64', garbage(3000, 8).toString('base64').replace(/.{76}/g, '$&\n'), 'text/plain; charset=utf-8') },
  { name: 'base64-whitespace-garbage', defect: 'base64 interleaved with spaces, tabs and blank lines', build: () => part('base64', Buffer.from(TEXT).toString('base64').split('').join(' \t\n\n')) },
  { name: 'base64-in-header-word', defect: 'RFC 2047 B-encoded word with invalid base64', build: () => b(headers('=?utf-8?B?!!!not*base64?= and =?utf-8?B?Q2hlYXA?='), '\n', TEXT) },
];

const qp: CraftedMessage[] = [
  { name: 'qp-bad-hex', defect: 'quoted-printable escapes with non-hex digits (=ZZ, =G1)', build: () => part('quoted-printable', 'Cheap =ZZmeds =G1and a free =prize\n') },
  { name: 'qp-trailing-equals', defect: 'quoted-printable body ending in a lone =', build: () => part('quoted-printable', 'Cheap meds and a free prize=') },
  { name: 'qp-lowercase-hex', defect: 'lowercase hex escapes (=e9=c3=a9)', build: () => part('quoted-printable', 'caf=e9 and caf=c3=a9 free prize\n') },
  { name: 'qp-long-lines', defect: 'quoted-printable lines of 5000 characters (limit 76)', build: () => part('quoted-printable', `${'free prize '.repeat(500)}\n`) },
  { name: 'qp-nul-escape', defect: '=00 escapes decoding to NUL bytes', build: () => part('quoted-printable', 'Cheap=00meds=00and=00a=00free=00prize\n') },
  { name: 'qp-raw-8bit', defect: 'raw 8-bit bytes inside a quoted-printable body', build: () => part('quoted-printable', b('Cheap m\xe9ds and a fr\xffee prize\n')) },
  { name: 'qp-soft-breaks-only', defect: 'a body made only of soft line breaks', build: () => part('quoted-printable', '=\n'.repeat(2000)) },
  { name: 'qp-escape-cr-alone', defect: 'an = followed by a bare CR', build: () => part('quoted-printable', 'Cheap meds=\rand a free prize\n') },
];

const charsets: CraftedMessage[] = [
  { name: 'charset-unknown', defect: 'charset=x-unknown-42 (no such charset)', build: () => charset('x-unknown-42', TEXT) },
  { name: 'charset-empty', defect: 'charset="" (empty)', build: () => charset('""', TEXT) },
  { name: 'charset-utf8-lying-latin1', defect: 'declares utf-8, holds ISO-8859-1 bytes', build: () => charset('utf-8', Buffer.from('Caf\xe9 cr\xe8me br\xfbl\xe9e, free prize for you\n', 'latin1')) },
  { name: 'charset-latin1-lying-utf8', defect: 'declares iso-8859-1, holds UTF-8 bytes', build: () => charset('iso-8859-1', Buffer.from('Café crème brûlée, free prize for you 🎁\n', 'utf8')) },
  { name: 'charset-utf16-odd-length', defect: 'declares utf-16, odd number of bytes', build: () => charset('utf-16', b(Buffer.from('free prize', 'utf16le'), '\x00\xd8\x41')) },
  { name: 'charset-utf7-broken', defect: 'declares utf-7 with broken shift sequences', build: () => charset('utf-7', 'Free +AGEAYgBj prize +ZZZ- and +-+ and +AGE\n') },
  { name: 'charset-big5-random', defect: 'declares big5, holds random bytes', build: () => charset('big5', garbage(800, 11)) },
  { name: 'charset-shift-jis-invalid', defect: 'declares shift_jis with invalid lead/trail bytes', build: () => charset('shift_jis', b('\x81\x20\x9f\xff\xe0\x00\xfc free prize\n')) },
  { name: 'charset-name-500-chars', defect: 'a 500-character charset name', build: () => charset('a'.repeat(500), TEXT) },
  { name: 'charset-header-unknown-word', defect: 'RFC 2047 encoded words in an unknown charset', build: () => b(headers('=?x-klingon?Q?free_prize?= =?x-none?B?Zm9v?='), '\n', TEXT) },
  { name: 'charset-header-malformed-word', defect: 'malformed encoded words (missing parts, wrong encoding letter)', build: () => b(headers('=?utf-8?X?abc?= =?utf-8??= =?utf-8?Q?unterminated'), '\n', TEXT) },
  { name: 'charset-utf32', defect: 'declares utf-32 with a truncated code unit', build: () => charset('utf-32', b(Buffer.from('f\0\0\0r\0\0\0e\0\0\0e\0\0\0', 'latin1'), '\x00\x00')) },
  { name: 'charset-gb2312-truncated', defect: 'declares gb2312; last multibyte character cut', build: () => charset('gb2312', b('\xc3\xe2\xb7\xd1\xbd\xb1\xc6\xb7 free prize \xc3')) },
  { name: 'charset-raw-8bit-headers', defect: 'raw 8-bit bytes (invalid UTF-8) in header values', build: () => b(headers('Fr\xe9e pr\xc3\x28ize \xff\xfe'), 'X-Note: \xc0\xaf\xed\xa0\x80\n\n', TEXT) },
  { name: 'charset-param-in-wrong-header', defect: 'charset given on Content-Transfer-Encoding instead of Content-Type', build: () => b(headers('wrong header', 'Content-Type: text/plain\nContent-Transfer-Encoding: 8bit; charset=koi8-r\n'), '\n', b('\xf3\xd2\xc5\xd4 free prize\n')) },
  { name: 'charset-mixed-per-part', defect: 'parts each declaring a different (wrong) charset', build: () => multipart('mixed charsets', 'boundary="c"', `--c\nContent-Type: text/plain; charset=utf-8\n\n\xe9\xe8 prize\n--c\nContent-Type: text/plain; charset=us-ascii\n\n\xc3\xa9 prize\n--c\nContent-Type: text/html; charset=windows-1252\n\n<p>\x80\x81\x8d prize</p>\n--c--\n`) },
];

const nuls: CraftedMessage[] = [
  { name: 'nul-in-header-name', defect: 'NUL bytes inside a header name', build: () => b(headers('nul name'), 'X-Ev\0il: yes\n\n', TEXT) },
  { name: 'nul-in-header-value', defect: 'NUL bytes inside the Subject', build: () => b(headers('free\0prize\0now'), '\n', TEXT) },
  { name: 'nul-in-body', defect: 'NUL bytes scattered through the body', build: () => b(headers('nul body'), '\n', TEXT.split(' ').join('\0 ')) },
  { name: 'nul-only-body', defect: 'a body of 20,000 NUL bytes', build: () => b(headers('nul only'), '\n', Buffer.alloc(20_000)) },
  { name: 'nul-in-boundary', defect: 'a NUL byte inside the multipart boundary', build: () => multipart('nul boundary', 'boundary="a\0b"', `--a\0b\n\n${TEXT}--a\0b--\n`) },
  { name: 'nul-whole-message', defect: 'the whole message is NUL bytes', build: () => Buffer.alloc(4096) },
];

const noHeaders: CraftedMessage[] = [
  { name: 'no-headers-body-only', defect: 'no header block at all: body text only', build: () => b(TEXT, HAM) },
  { name: 'no-headers-leading-blank', defect: 'starts with a blank line (empty header block)', build: () => b('\n', TEXT) },
  { name: 'no-headers-only-newlines', defect: 'nothing but newlines', build: () => b('\n'.repeat(500)) },
  { name: 'no-headers-continuation-first', defect: 'first line is a header continuation (starts with a space)', build: () => b('   continued: nothing\nSubject: late\n\n', TEXT) },
  { name: 'no-headers-no-colons', defect: 'header-looking lines without any colon', build: () => b('From corpus example org\nSubject free prize\nDate today\n\n', TEXT) },
  { name: 'no-headers-mbox-envelope', defect: 'an mbox "From " envelope line instead of headers', build: () => b('From corpus@example.org Sat Nov 21 12:00:00 2026\n\n', TEXT) },
  { name: 'no-headers-html-only', defect: 'a bare HTML document with no headers', build: () => b('<html><body><a href="http://prize.example.com/">Click here</a> to claim</body></html>\n') },
];

const headerOnly: CraftedMessage[] = [
  { name: 'header-only-no-blank-line', defect: 'headers and no blank line, no body', build: () => b(headers('header only')) },
  { name: 'header-only-blank-line', defect: 'headers, a blank line and an empty body', build: () => b(headers('empty body'), '\n') },
  { name: 'header-only-one-line-no-newline', defect: 'a single header line without a newline', build: () => b('Subject: free prize') },
  { name: 'header-only-5000-headers', defect: '5000 header lines', build: () => b(headers('many headers'), Array.from({ length: 5000 }, (_, i) => `X-H${i}: v${i}\n`).join(''), '\n', TEXT) },
  { name: 'header-only-endless-continuation', defect: 'one header folded over 3000 continuation lines', build: () => b(headers('folded', `X-Folded: start\n${' more\n'.repeat(3000)}`), '\n', TEXT) },
  { name: 'header-100kb-line', defect: 'a single 100 KB header line', build: () => b(headers('long header', `X-Long: ${'A'.repeat(100_000)}\n`), '\n', TEXT) },
  { name: 'header-duplicate-content-type', defect: 'two contradicting Content-Type headers', build: () => b(headers('dup ct', 'Content-Type: text/html\nContent-Type: multipart/mixed; boundary="x"\n'), '\n', `<b>${TEXT}</b>`) },
];

const truncated: CraftedMessage[] = [
  { name: 'truncated-mid-header', defect: 'cut in the middle of a header line', build: () => b('From: corpus@example.org\nSubject: free pri') },
  { name: 'truncated-mid-base64', defect: 'cut in the middle of a base64 attachment', build: () => multipart('trunc b64', 'boundary="t"', `--t\n\n${TEXT}--t\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n${garbage(3000, 21).toString('base64').slice(0, 2501)}`) },
  { name: 'truncated-mid-multipart', defect: 'cut after a part header, before its body', build: () => multipart('trunc mp', 'boundary="t"', `--t\n\n${TEXT}--t\nContent-Type: text/html\n`) },
  { name: 'truncated-mid-qp-escape', defect: 'cut inside a quoted-printable escape (=4)', build: () => part('quoted-printable', 'free prize =4') },
  { name: 'truncated-mid-utf8', defect: 'cut in the middle of a UTF-8 sequence', build: () => charset('utf-8', Buffer.from('free prize 🎁', 'utf8').subarray(0, 13)) },
  { name: 'truncated-mid-encoded-word', defect: 'Subject ends inside an RFC 2047 encoded word', build: () => b('From: corpus@example.org\nSubject: =?utf-8?B?Q2hl') },
  { name: 'truncated-after-boundary', defect: 'ends right after a delimiter line', build: () => multipart('trunc delim', 'boundary="t"', `--t\n\n${TEXT}--t\n`) },
  { name: 'truncated-inside-rfc822', defect: 'cut inside a forwarded message/rfc822 part', build: () => multipart('trunc rfc822', 'boundary="t"', `--t\nContent-Type: message/rfc822\n\nFrom: inner@example.org\nSubject: inner\nContent-Type: multipart/mixed; boundary="u"\n\n--u\n\nfree pr`) },
  { name: 'truncated-after-1-byte', defect: 'a message of one byte', build: () => b('F') },
];

const binary: CraftedMessage[] = [
  { name: 'binary-random-1k', defect: '1 KB of random bytes', build: () => garbage(1024, 31) },
  { name: 'binary-random-64k', defect: '64 KB of random bytes', build: () => garbage(64 * 1024, 32) },
  { name: 'binary-after-headers', defect: 'valid headers, then 16 KB of random bytes as the body', build: () => b(headers('binary body'), '\n', garbage(16 * 1024, 33)) },
  { name: 'binary-png-signature', defect: 'a PNG file instead of a message', build: () => b('\x89PNG\r\n\x1a\n\0\0\0\rIHDR', garbage(2000, 34)) },
  { name: 'binary-gzip', defect: 'gzip-compressed bytes instead of a message', build: () => b('\x1f\x8b\x08\0\0\0\0\0\0\x03', garbage(2000, 35)) },
  { name: 'binary-all-ff', defect: '8 KB of 0xFF bytes', build: () => Buffer.alloc(8192, 0xff) },
  { name: 'binary-8bit-declared-7bit', defect: '8-bit random bytes under Content-Transfer-Encoding: 7bit', build: () => part('7bit', garbage(4000, 36)) },
  { name: 'binary-utf16-bom-message', defect: 'the whole message encoded as UTF-16 with a BOM', build: () => b('\xff\xfe', Buffer.from(headers('utf16 message') + '\n' + TEXT, 'utf16le')) },
];

const nesting: CraftedMessage[] = [
  { name: 'nesting-1000-multipart', defect: '1000 levels of nested multipart', build: () => nested(1000, 'multipart', true) },
  { name: 'nesting-1000-rfc822', defect: '1000 levels of nested message/rfc822', build: () => nested(1000, 'rfc822', true) },
  { name: 'nesting-1000-alternating', defect: '1000 levels alternating multipart and message/rfc822', build: () => nested(1000, 'alternating', true) },
  { name: 'nesting-1000-never-closed', defect: '1000 levels of multipart, none closed', build: () => nested(1000, 'multipart', false) },
  { name: 'nesting-100-multipart', defect: '100 levels of nested multipart', build: () => nested(100, 'multipart', true) },
  { name: 'nesting-self-reference', defect: 'a part claiming to be message/rfc822 holding only its own headers', build: () => b(headers('self', 'Content-Type: message/rfc822\n'), '\n', headers('self', 'Content-Type: message/rfc822\n')) },
];

const structure: CraftedMessage[] = [
  { name: 'cte-unknown', defect: 'Content-Transfer-Encoding: x-martian', build: () => part('x-martian', TEXT) },
  { name: 'cte-conflicting', defect: 'two different Content-Transfer-Encoding headers', build: () => b(headers('two cte', 'Content-Transfer-Encoding: base64\nContent-Transfer-Encoding: quoted-printable\n'), '\n', TEXT) },
  { name: 'cte-uuencode', defect: 'a uuencoded body (x-uuencode)', build: () => part('x-uuencode', 'begin 644 prize.txt\nM0VAE87`@;65D<R!A;F0@82!F<F5E(\'!R:7IE\n`\nend\n') },
  { name: 'content-type-garbage', defect: 'Content-Type: "text" with no subtype and garbage parameters', build: () => b(headers('ct garbage', 'Content-Type: text;;;=;charset\n'), '\n', TEXT) },
  { name: 'content-type-empty', defect: 'an empty Content-Type header', build: () => b(headers('ct empty', 'Content-Type:\n'), '\n', TEXT) },
  { name: 'rfc822-empty', defect: 'message/rfc822 with an empty body', build: () => b(headers('empty rfc822', 'Content-Type: message/rfc822\n'), '\n') },
  { name: 'line-ends-cr-only', defect: 'bare CR line ends throughout', build: () => b(headers('cr only').replace(/\n/g, '\r'), '\r', TEXT.replace(/\n/g, '\r')) },
  { name: 'line-ends-lfcr', defect: 'reversed LF CR line ends', build: () => b(headers('lfcr').replace(/\n/g, '\n\r'), '\n\r', TEXT.replace(/\n/g, '\n\r')) },
  { name: 'line-ends-mixed-crlf-lf-cr', defect: 'CRLF, LF and CR mixed line by line', build: () => b('From: corpus@example.org\r\nSubject: mixed\nDate: Sat, 21 Nov 2026 12:00:00 +0000\r\r\n', TEXT) },
  { name: 'html-unclosed-tags', defect: 'HTML with unclosed tags, comments and script', build: () => b(headers('html', 'Content-Type: text/html\n'), '\n', `<html><body><div><p><b><i>${TEXT}<!-- never closed <script>var a = "</p>";`) },
  { name: 'html-entity-flood', defect: '20,000 numeric character references, some invalid', build: () => b(headers('entities', 'Content-Type: text/html\n'), '\n', '&#x1F381;&#0;&#xFFFFFF;&#99999999;&amp'.repeat(4000)) },
  { name: 'subject-500-encoded-words', defect: 'a Subject of 500 encoded words', build: () => b(headers(Array.from({ length: 500 }, () => '=?utf-8?Q?free=5Fprize?=').join(' ')), '\n', TEXT) },
  { name: 'filename-path-traversal', defect: 'attachment filename ../../etc/passwd and a NUL in another', build: () => multipart('filenames', 'boundary="f"', `--f\n\n${TEXT}--f\nContent-Disposition: attachment; filename="../../etc/passwd"\n\nroot:x:0:0\n--f\nContent-Disposition: attachment; filename="a\0b.exe"\n\nMZ\n--f--\n`) },
  { name: 'mime-version-99', defect: 'MIME-Version: 99.9 and a multipart with unknown subtype', build: () => b('MIME-Version: 99.9\nContent-Type: multipart/x-future; boundary="z"\n\n--z\n\n', TEXT, '--z--\n') },
  { name: 'tab-and-space-lines', defect: 'header block ended by a line of spaces and tabs', build: () => b(headers('ws'), ' \t \n', TEXT) },
  { name: 'header-colon-space-name', defect: 'header names with spaces and non-ASCII bytes', build: () => b('From : corpus@example.org\nSub ject: free prize\nX-\xe9t\xe9: yes\n\n', TEXT) },
  { name: 'huge-content-length', defect: 'a Content-Length header claiming 10 GB', build: () => b(headers('content length', 'Content-Length: 10737418240\n'), '\n', TEXT) },
  { name: 'attachment-only-no-text', defect: 'a multipart with only a binary attachment, no text part', build: () => multipart('attachment only', 'boundary="a"', `--a\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n${garbage(6000, 41).toString('base64').replace(/.{76}/g, '$&\n')}\n--a--\n`) },
  { name: 'multipart-as-single-part', defect: 'Content-Type multipart/mixed on a part that is plain text', build: () => multipart('not multipart', 'boundary="----=_NextPart"', TEXT) },
  { name: 'base64-declared-on-multipart', defect: 'base64 transfer encoding on a multipart container (forbidden)', build: () => b(headers('b64 multipart', 'Content-Type: multipart/mixed; boundary="m"\nContent-Transfer-Encoding: base64\n'), '\n', `--m\n\n${TEXT}--m--\n`) },
  { name: 'ham-with-broken-signature', defect: 'an ordinary ham message whose multipart/signed signature part is garbage', build: () => multipart('signed', 'boundary="s"', `--s\nContent-Type: text/plain\n\n${HAM}--s\nContent-Type: application/pgp-signature\n\n-----BEGIN PGP SIGNATURE-----\n${garbage(300, 42).toString('base64')}\n--s--\n`) },
];

const large: CraftedMessage[] = [
  { name: 'large-10mb-body-line', defect: 'a 10 MB body line with no line break', large: true, build: () => b(headers('10 MB line'), '\n', 'free prize '.repeat(Math.ceil((10 * MB) / 11)).slice(0, 10 * MB), '\n') },
  { name: 'large-10mb-header-line', defect: 'a 10 MB header line', large: true, build: () => b(headers('10 MB header', `X-Huge: ${'H'.repeat(10 * MB)}\n`), '\n', TEXT) },
  { name: 'large-20mb-attachment-base64', defect: 'a 20 MB base64 attachment after a short text part', large: true, build: () => multipart('20 MB attachment', 'boundary="big"', `--big\n\n${TEXT}--big\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="big.zip"\n\n${garbage(15 * MB, 51).toString('base64').replace(/.{76}/g, '$&\n')}\n--big--\n`) },
  { name: 'large-20mb-binary-body', defect: '20 MB of raw binary body under 7bit', large: true, build: () => b(headers('20 MB binary', 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: 7bit\n'), '\n', garbage(20 * MB, 52)) },
];

export const CATALOGUE: readonly CraftedMessage[] = [
  ...boundaries, ...base64, ...qp, ...charsets, ...nuls, ...noHeaders, ...headerOnly, ...truncated, ...binary, ...nesting, ...structure, ...large,
];
