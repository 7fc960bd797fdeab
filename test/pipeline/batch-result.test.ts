import { describe, expect, it } from 'vitest';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { decodeBatchResult, encodeBatchResult, RESULT_BUDGET_PER_100_MESSAGES } from '../../src/pipeline/batch-result.js';
import type { MessageVerdict } from '../../src/report/index.js';

function sampleMessages(n: number, firstKey = 1000): MessageVerdict[] {
  const out: MessageVerdict[] = [];
  let key = firstKey;
  for (let i = 0; i < n; i++) {
    key += 1 + (i % 7 === 0 ? 13 : 0); // UIDs with gaps
    const spam = i % 3 === 0;
    out.push({ key, verdict: spam ? 'spam' : 'ham', score: spam ? 0.999 - i / 1e5 : i / 1e5, label: spam ? 'spam' : 'ham' });
  }
  return out;
}

describe('batch result encoding', () => {
  it('round-trips keys, verdicts, labels, notes, failure reasons and quantized scores', () => {
    const messages: MessageVerdict[] = [
      ...sampleMessages(5),
      { key: 5000, verdict: 'failed', score: null, reason: 'MALFORMED: invalid base64 in part 2' },
      { key: 5001, verdict: 'unsure', score: 0.5, note: 'size cap: read 1048576 of 20971520 bytes' },
    ];
    const decoded = decodeBatchResult(encodeBatchResult({ messages, fetchMs: 12.4, classifyMs: 3.6, stallMs: 2 }));
    expect(decoded.messages.map((m) => m.key)).toEqual(messages.map((m) => m.key));
    expect(decoded.messages.map((m) => m.verdict)).toEqual(messages.map((m) => m.verdict));
    expect(decoded.messages.map((m) => m.label)).toEqual(messages.map((m) => m.label));
    expect(decoded.messages[5]).toEqual({ key: 5000, verdict: 'failed', score: null, reason: 'MALFORMED: invalid base64 in part 2' });
    expect(decoded.messages[6]).toMatchObject({ verdict: 'unsure', note: 'size cap: read 1048576 of 20971520 bytes' });
    decoded.messages.forEach((m, i) => expect(Math.abs((m.score ?? 0) - (messages[i]!.score ?? 0))).toBeLessThanOrEqual(1 / 65535));
    expect({ fetchMs: decoded.fetchMs, classifyMs: decoded.classifyMs, stallMs: decoded.stallMs }).toEqual({ fetchMs: 12, classifyMs: 4, stallMs: 2 });
  });

  it('round-trips each message\'s Message-ID, From, Subject and Date (v3), absent fields staying absent', () => {
    const messages: MessageVerdict[] = [
      { key: 1, verdict: 'spam', score: 0.99, messageId: '<a1@x.example>', from: 'Zoë <z@x.example>', subject: 'Ünïcode — offer', date: '2002-10-05T19:56:02Z' },
      { key: 2, verdict: 'ham', score: 0.01, subject: 'no date, no id' },
      { key: 3, verdict: 'failed', score: null, reason: 'MALFORMED: x', from: 'f@x.example', date: 'next Tuesday-ish' },
    ];
    const decoded = decodeBatchResult(encodeBatchResult({ messages, fetchMs: 1, classifyMs: 1, stallMs: 0 }));
    expect(decoded.messages[0]).toMatchObject({ messageId: '<a1@x.example>', from: 'Zoë <z@x.example>', subject: 'Ünïcode — offer', date: '2002-10-05T19:56:02Z' });
    expect(decoded.messages[1]).toEqual({ key: 2, verdict: 'ham', score: expect.any(Number), subject: 'no date, no id' });
    expect(decoded.messages[2]).toEqual({ key: 3, verdict: 'failed', score: null, reason: 'MALFORMED: x', from: 'f@x.example', date: 'next Tuesday-ish' });
  });

  it('records the learned model version a batch was classified with (v4), absent for the base model', () => {
    const messages: MessageVerdict[] = [{ key: 1, verdict: 'spam', score: 0.99 }];
    const learned = encodeBatchResult({ messages, fetchMs: 1, classifyMs: 1, stallMs: 0, modelVersion: 7 });
    expect(JSON.parse(inflateRawSync(learned).toString('utf8'))).toMatchObject({ v: 4, mv: 7 });
    expect(decodeBatchResult(learned).modelVersion).toBe(7);
    const base = encodeBatchResult({ messages, fetchMs: 1, classifyMs: 1, stallMs: 0, modelVersion: 0 });
    expect(JSON.parse(inflateRawSync(base).toString('utf8'))).not.toHaveProperty('mv');
    expect(decodeBatchResult(base)).not.toHaveProperty('modelVersion');
  });

  it('reads the v3 done markers of the previous release (names, no model version: the base model)', () => {
    const v3 = { v: 3, f: 5, c: 6, l: 7, k: [10], d: String.fromCharCode(48 + 1), s: Buffer.alloc(2).toString('base64'), n: {}, i: ['<m@x>'], a: [''], u: ['hi'], t: [0] };
    const decoded = decodeBatchResult(deflateRawSync(Buffer.from(JSON.stringify(v3))));
    expect(decoded.messages).toEqual([{ key: 10, verdict: 'spam', score: 0, messageId: '<m@x>', subject: 'hi' }]);
    expect(decoded).not.toHaveProperty('modelVersion');
  });

  it('refuses a format it does not know, naming the versions it reads', () => {
    const v5 = { v: 5, f: 0, c: 0, l: 0, k: [], d: '', s: '', n: {} };
    expect(() => decodeBatchResult(deflateRawSync(Buffer.from(JSON.stringify(v5))))).toThrow(/format v5 is not supported/);
  });

  it('reads the v2 done markers of the previous release (no names)', () => {
    const v2 = { v: 2, f: 5, c: 6, l: 7, k: [10], d: String.fromCharCode(48 + 1 + 4 * 2), s: Buffer.alloc(2).toString('base64'), n: {} };
    expect(decodeBatchResult(deflateRawSync(Buffer.from(JSON.stringify(v2)))).messages).toEqual([{ key: 10, verdict: 'spam', score: 0, label: 'spam' }]);
  });

  it('reads the v1 done markers of earlier releases (their processor and planned count are ignored)', () => {
    const v1 = { v: 1, p: 'host:1:abc', e: 2, f: 5, c: 6, l: 7, k: [10, 1], d: String.fromCharCode(48 + 1 + 4 * 2, 48 + 3), s: Buffer.alloc(4).toString('base64'), n: { 1: 'MALFORMED: x' } };
    const decoded = decodeBatchResult(deflateRawSync(Buffer.from(JSON.stringify(v1))));
    expect(decoded.messages).toEqual([
      { key: 10, verdict: 'spam', score: 0, label: 'spam' },
      { key: 11, verdict: 'failed', score: null, reason: 'MALFORMED: x' },
    ]);
  });

  it('stays under its budget per 100 messages (the ZooKeeper footprint)', () => {
    const encoded = encodeBatchResult({ messages: sampleMessages(1000), fetchMs: 100, classifyMs: 100, stallMs: 5 });
    expect(encoded.length / 10).toBeLessThan(RESULT_BUDGET_PER_100_MESSAGES);
  });

  it('names what is wrong with a foreign buffer', () => {
    expect(() => decodeBatchResult(Buffer.from('not deflated json'))).toThrow(/not a spamzk batch result/);
  });
});
