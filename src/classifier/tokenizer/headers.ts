/**
 * Header tokens, prefixed by the header's name so "free" in a Subject and in
 * a body are different clues.
 *
 * Only headers the sender controls and a real inbox would show are read. Date,
 * Received, Message-ID, X-Spam-* and list headers are left out on purpose: in
 * fixture corpora ham and spam come from different servers and years, so they
 * separate the classes for reasons that do not hold in a new inbox (the
 * SpamBayes lesson, docs/findings.md). Content-Transfer-Encoding is left out too:
 * quoted-printable was 305 spam / 10 ham in TRAIN, a trait of 2002 mailers
 * that today's legitimate newsletters share, and dropping it changed nothing
 * on TEST.
 */
import { decodeHeaderValue, headerValue, type HeaderField } from '../mime/headers.js';
import { addWordTokens, type WordOptions } from './body.js';
import { addDomainTokens } from './urls.js';

// Bounded repeats (RFC 5321 limits: 64-byte local part, 255-byte domain): with
// open-ended ones a 16 KB header without "@" costs quadratic backtracking (300 ms).
const ADDRESS = /<?([^\s<>@",;]{1,64})@([a-z0-9.-]{1,253}\.[a-z]{2,63})>?/i;
// A separate global twin: matchAll() copies lastIndex, so sharing one regex with exec() would skip matches.
const ADDRESSES = new RegExp(ADDRESS.source, 'gi');

export function addHeaderTokens(headers: readonly HeaderField[], opts: WordOptions, out: Set<string>, cap: number): void {
  const subject = headerValue(headers, 'subject');
  if (subject === undefined) out.add('subject:none');
  else addSubjectTokens(decodeHeaderValue(subject), opts, out, cap);

  const from = headerValue(headers, 'from');
  if (from === undefined) out.add('from:none');
  else addAddressTokens('from', decodeHeaderValue(from), opts, out, cap);
  const replyTo = headerValue(headers, 'reply-to');
  if (replyTo !== undefined) addAddressTokens('reply-to', decodeHeaderValue(replyTo), opts, out, cap);

  for (const name of ['to', 'cc'] as const) {
    const value = headerValue(headers, name);
    if (value === undefined) {
      out.add(`${name}:none`);
      continue;
    }
    // The count, not the addresses: a corpus's recipients say who collected it.
    const count = [...value.matchAll(ADDRESSES)].length;
    out.add(`${name}:count:${count >= 10 ? '10+' : count}`);
    if (/undisclosed/i.test(value)) out.add(`${name}:undisclosed`);
  }

  for (const name of ['x-mailer', 'user-agent', 'organization']) {
    const value = headerValue(headers, name);
    if (value !== undefined) addWordTokens(decodeHeaderValue(value), `${name}:`, opts, out, cap);
  }
  for (const name of ['x-priority', 'x-msmail-priority', 'importance']) {
    const value = headerValue(headers, name);
    if (value !== undefined) out.add(`${name}:${value.toLowerCase().slice(0, 20)}`);
  }
  if (headerValue(headers, 'mime-version') === undefined) out.add('mime-version:none');
}

function addSubjectTokens(subject: string, opts: WordOptions, out: Set<string>, cap: number): void {
  addWordTokens(subject, 'subject:', opts, out, cap);
  const letters = subject.replace(/[^\p{L}]/gu, '');
  if (letters.length >= 8) {
    const upper = letters.replace(/[^\p{Lu}]/gu, '').length;
    out.add(`subject:caps:${Math.round((upper / letters.length) * 4)}`);
  }
  if (subject.includes('!')) out.add('subject:bang');
  if (/\$\d/.test(subject)) out.add('subject:money');
  if (/\s{3,}|[-_=.]{4,}/.test(subject)) out.add('subject:padding'); // tracking ids padded out
  if (subject.trim() === '') out.add('subject:empty');
}

function addAddressTokens(prefix: string, value: string, opts: WordOptions, out: Set<string>, cap: number): void {
  const first = ADDRESS.exec(value);
  if (first === null) {
    out.add(`${prefix}:noaddress`);
    return;
  }
  const [whole, user, domain] = first as unknown as [string, string, string];
  addDomainTokens(`${prefix}:domain:`, domain, out);
  if (/\d{3,}/.test(user)) out.add(`${prefix}:user:digits`);
  const name = value.replace(whole, '').replace(/["()<>]/g, ' ').trim();
  if (name === '') out.add(`${prefix}:noname`);
  else addWordTokens(name, `${prefix}:name:`, opts, out, cap);
}
