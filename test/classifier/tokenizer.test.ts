import { describe, expect, it } from 'vitest';
import { decodeMail } from '../../src/classifier/mime/decode.js';
import { DEFAULT_TOKENIZER_OPTIONS, tokenize } from '../../src/classifier/tokenizer/index.js';
import { isWhiteSpace } from '../../src/classifier/tokenizer/body.js';

const tokensOf = (text: string, opts = DEFAULT_TOKENIZER_OPTIONS): string[] => tokenize(decodeMail(Buffer.from(text, 'utf8')), opts);

describe('tokenizer', () => {
  it('keeps money and shouting marks, folds case, drops short words', () => {
    const t = tokensOf('Subject: hi\n\nEarn $1,000 NOW!!! It is FREE!\n');
    expect(t).toEqual(expect.arrayContaining(['earn', '$1,000', 'now!!!', 'free!']));
    expect(t).not.toContain('is');
    expect(t).not.toContain('NOW!!!');
  });

  it('gives a URL its host, every parent domain and a few path words', () => {
    const t = tokensOf('\n\nvisit http://a.b.example.co.uk/offers/cheap?id=1 and www.shop.example.com today\n');
    expect(t).toEqual(expect.arrayContaining([
      'url:scheme:http', 'url:a.b.example.co.uk', 'url:b.example.co.uk', 'url:example.co.uk', 'url:co.uk', 'url:uk',
      'url:path:offers', 'url:path:cheap', 'url:www.shop.example.com', 'url:example.com',
    ]));
  });

  it('flags disguised URLs: user info, raw IP addresses', () => {
    const t = tokensOf('\n\nhttp://www.bank.com@10.1.2.3/login\n');
    expect(t).toEqual(expect.arrayContaining(['url:userinfo', 'url:ip']));
  });

  it('splits words on exactly the white space of a /\\s/ regular expression, every UTF-16 unit checked', () => {
    const differ: number[] = [];
    for (let c = 0; c <= 0xffff; c++) if (isWhiteSpace(c) !== /\s/.test(String.fromCharCode(c))) differ.push(c);
    expect(differ).toEqual([]);
    expect(tokensOf('Content-Type: text/plain; charset=utf-8\n\nalpha\u3000beta\u00a0gamma\u2009delta\ufeffepsilon\u200bzeta\n')).toEqual(
      expect.arrayContaining(['alpha', 'beta', 'gamma', 'delta', 'epsilon\u200bzeta']),
    );
  });

  it('turns over-long words into a summary token', () => {
    expect(tokensOf('\n\n' + 'x'.repeat(57) + '\n')).toContain('skip:x 50');
  });

  it('prefixes header tokens by header name and reads From/Reply-To domains', () => {
    const t = tokensOf('From: "Best Deals" <promo123@mail.deals.example>\nReply-To: x@other.example\nSubject: Cheap pills\nX-Mailer: Bulk Pro 5\nTo: a@x.org, b@y.org\n\nbody\n');
    expect(t).toEqual(expect.arrayContaining([
      'subject:cheap', 'subject:pills', 'from:domain:mail.deals.example', 'from:domain:deals.example', 'from:name:best',
      'from:user:digits', 'reply-to:domain:other.example', 'x-mailer:bulk', 'x-mailer:pro', 'to:count:2', 'cc:none',
    ]));
  });

  it('ignores headers that tell where a corpus came from rather than what the mail is', () => {
    const t = tokensOf('Date: Mon, 1 Jul 2002 10:00:00 +0100\nReceived: from mx.corpus.example by relay\nMessage-ID: <abc@corpus.example>\nX-Spam-Status: Yes, hits=9\nSubject: x\n\nbody\n');
    expect(t.filter((x) => /corpus|2002|hits|relay/.test(x))).toEqual([]);
  });

  it('counts a token once per message however often it repeats, and caps distinct tokens', () => {
    const t = tokensOf('\n\n' + 'spam '.repeat(1000) + '\n');
    expect(t.filter((x) => x === 'spam')).toHaveLength(1);
    const many = Array.from({ length: 20_000 }, (_, i) => `word${i}`).join(' ');
    expect(tokensOf(`\n\n${many}\n`, { ...DEFAULT_TOKENIZER_OPTIONS, maxTokens: 500 })).toHaveLength(500);
  });

  it('notes attachments by type and extension, and HTML-only mail', () => {
    const t = tokensOf('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/html\n\n<p>hello there</p>\n--b\nContent-Type: application/octet-stream; name="run.EXE"\n\nMZ\n--b--\n');
    expect(t).toEqual(expect.arrayContaining(['hello', 'there', 'html:only', 'attach:application/octet-stream', 'attach:ext:exe']));
  });
});
