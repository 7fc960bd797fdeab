import { describe, expect, it } from 'vitest';
import { HEADER_CHARS, messageHeadersOf } from '../../src/pipeline/message-headers.js';

const mail = (head: string): Buffer => Buffer.from(`${head.replace(/\n/g, '\r\n')}\r\n\r\nbody\r\n`, 'latin1');

describe('the header fields that name a message', () => {
  it('are decoded (RFC 2047), unfolded to one line and the Date made ISO UTC', () => {
    const h = messageHeadersOf(mail('Message-ID: <x1@example.org>\nFrom: =?UTF-8?B?Wm/Dqw==?= <zoe@example.org>\nSubject: =?ISO-8859-1?Q?caf=E9?=\n  au lait\nDate: Sat, 5 Oct 2002 12:56:02 -0700'));
    expect(h).toEqual({ messageId: '<x1@example.org>', from: 'Zoë <zoe@example.org>', subject: 'café au lait', date: '2002-10-05T19:56:02Z' });
  });

  it('are cut to a sane length, keep an unparsable Date as written, and leave out what is missing', () => {
    const h = messageHeadersOf(mail(`Subject: ${'buy '.repeat(100)}\nDate: sometime soon`));
    expect(h.subject).toHaveLength(HEADER_CHARS.subject);
    expect(h.subject!.endsWith('…')).toBe(true);
    expect(h.date).toBe('sometime soon');
    expect(h).not.toHaveProperty('from');
    expect(messageHeadersOf(Buffer.alloc(0))).toEqual({});
    expect(messageHeadersOf(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]))).toEqual({});
  });
});
