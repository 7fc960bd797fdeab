import { describe, expect, it } from 'vitest';
import { decodeMail } from '../../src/classifier/mime/decode.js';
import { decodeHeaderValue, parseContentType, splitEntity } from '../../src/classifier/mime/headers.js';
import { htmlToText } from '../../src/classifier/mime/html.js';
import { decodeQuotedPrintable, decodeTransfer } from '../../src/classifier/mime/transfer.js';

const mail = (text: string): Buffer => Buffer.from(text.replace(/\n/g, '\r\n'), 'latin1');

describe('header block', () => {
  it('unfolds continuation lines and lower-cases names', () => {
    const src = 'Subject: one\n two\nX-A:  b \n\nbody';
    const { headers, bodyStart } = splitEntity(src, 0, src.length);
    expect(headers).toEqual([{ name: 'subject', value: 'one two' }, { name: 'x-a', value: 'b' }]);
    expect(src.slice(bodyStart)).toBe('body');
  });

  it('treats a first line that is not a header as the start of the body', () => {
    const src = 'Hello there, no headers here\nSecond: line';
    expect(splitEntity(src, 0, src.length)).toEqual({ headers: [], bodyStart: 0 });
  });

  it('decodes RFC 2047 encoded words in their charset, joining adjacent ones', () => {
    expect(decodeHeaderValue('=?ISO-8859-1?Q?Caf=E9_cr=E8me?=')).toBe('Café crème');
    expect(decodeHeaderValue('=?UTF-8?B?w6l0w6k=?= =?UTF-8?B?IGJpZW4=?=')).toBe('été bien');
    expect(decodeHeaderValue('=?koi8-r?B?8NLJ18XU?=')).toBe('Привет');
  });

  it('parses content types leniently, quoted and RFC 2231 parameters included', () => {
    const ct = parseContentType('Multipart/Mixed; boundary="a;b"; charset*=utf-8\'\'x; name*0=ab; name*1=cd');
    expect(ct.mimeType).toBe('multipart/mixed');
    expect(ct.params.get('boundary')).toBe('a;b');
    expect(ct.params.get('charset')).toBe('x');
    expect(ct.params.get('name')).toBe('abcd');
    expect(parseContentType(undefined).mimeType).toBe('text/plain');
  });
});

describe('transfer encodings', () => {
  it('decodes quoted-printable with soft line breaks and keeps a lone "="', () => {
    expect(decodeQuotedPrintable('caf=C3=A9 =\r\nau lait = 3').toString('utf8')).toBe('café au lait = 3');
  });

  it('decodes base64 and flags characters outside the alphabet', () => {
    expect(decodeTransfer('aGVs\nbG8=', 'base64')).toEqual({ bytes: Buffer.from('hello') });
    expect(decodeTransfer('aGVs*bG8=', 'Base64').problem).toMatch(/invalid base64/);
  });
});

describe('HTML to text', () => {
  it('keeps link targets, drops scripts and styles, joins words split by comments or inline tags', () => {
    const h = htmlToText('<style>p{}</style><p>V<!-- x -->iagra V<b></b>ALIUM<br>see <a href="http://x.example.com/a">here</a> &amp; &#36;5&nbsp;now</p>');
    expect(h.urls).toEqual(['http://x.example.com/a']);
    expect(h.text).toContain('Viagra VALIUM');
    expect(h.text).toContain('& $5 now');
    expect(h.text).not.toContain('p{}');
  });
});

describe('decodeMail', () => {
  it('returns the text of plain and HTML parts in their charsets and notes attachments without decoding them', () => {
    const raw = mail(
      [
        'From: A <a@example.com>',
        'Subject: test',
        'Content-Type: multipart/mixed; boundary="outer"',
        '',
        'preamble',
        '--outer',
        'Content-Type: multipart/alternative; boundary="outer-inner"',
        '',
        '--outer-inner',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'caf=E9',
        '--outer-inner',
        'Content-Type: text/html; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('<p>caf\u00e9 <a href="https://shop.example.net/x">buy</a></p>').toString('base64'),
        '--outer-inner--',
        '--outer',
        'Content-Type: application/pdf; name="Invoice.PDF"',
        'Content-Disposition: attachment',
        'Content-Transfer-Encoding: base64',
        '',
        'JVBERi0xLjQK',
        '--outer--',
        'epilogue',
      ].join('\n'),
    );
    const m = decodeMail(raw);
    expect(m.notes).toEqual([]);
    expect(m.texts.map((t) => [t.html, t.text.trim()])).toEqual([[false, 'café'], [true, 'café buy']]);
    expect(m.urls).toEqual(['https://shop.example.net/x']);
    expect(m.attachments).toEqual([{ mimeType: 'application/pdf', fileName: 'invoice.pdf' }]);
    expect(m.partTypes).toEqual(['multipart/mixed', 'multipart/alternative', 'text/plain', 'text/html', 'application/pdf']);
  });

  it('reads the inner message of a message/rfc822 part', () => {
    const raw = mail('Content-Type: message/rfc822\n\nSubject: inner\nContent-Type: text/plain\n\nforwarded words\n');
    expect(decodeMail(raw).texts[0]!.text).toContain('forwarded words');
  });

  it('notes an unknown charset and reads the bytes as windows-1252', () => {
    const m = decodeMail(mail('Content-Type: text/plain; charset=x-klingon\n\nqapla\xe9\n'));
    expect(m.notes).toEqual(['unknown charset "x-klingon": read as windows-1252']);
    expect(m.texts[0]!.text).toContain('qaplaé');
  });
});

describe('mbox envelope line', () => {
  it('is skipped, so the headers after it are still headers', () => {
    const m = decodeMail(mail('From someone@example.com  Mon Jun 24 17:53:15 2002\nSubject: hi\n\nbody\n'));
    expect(m.headers).toEqual([{ name: 'subject', value: 'hi' }]);
    expect(m.texts[0]!.text.trim()).toBe('body');
  });
});
