import { describe, expect, it } from 'vitest';
import { decodeBatchResult, encodeBatchResult, type MessageResult } from '../../src/pipeline/batch-result.js';

function sampleMessages(n: number, firstKey = 1000): MessageResult[] {
  const out: MessageResult[] = [];
  let key = firstKey;
  for (let i = 0; i < n; i++) {
    key += 1 + (i % 7 === 0 ? 13 : 0); // UIDs with gaps
    const spam = i % 3 === 0;
    out.push({ key, verdict: spam ? 'spam' : 'ham', score: spam ? 0.999 - i / 1e5 : i / 1e5, label: spam ? 'spam' : 'ham' });
  }
  return out;
}

describe('batch result encoding', () => {
  it('round-trips keys, verdicts, labels, notes and quantized scores', () => {
    const messages: MessageResult[] = [
      ...sampleMessages(5),
      { key: 5000, verdict: 'failed', score: 0, note: 'MALFORMED: invalid base64 in part 2' },
      { key: 5001, verdict: 'unsure', score: 0.5, note: 'size cap: read 1048576 of 20971520 bytes' },
    ];
    const result = { processor: 'host:1:abc', expected: 8, messages, fetchMs: 12.4, classifyMs: 3.6, stallMs: 2 };
    const decoded = decodeBatchResult(encodeBatchResult(result));
    expect(decoded.processor).toBe('host:1:abc');
    expect(decoded.expected).toBe(8);
    expect(decoded.messages.map((m) => m.key)).toEqual(messages.map((m) => m.key));
    expect(decoded.messages.map((m) => m.verdict)).toEqual(messages.map((m) => m.verdict));
    expect(decoded.messages.map((m) => m.label)).toEqual(messages.map((m) => m.label));
    expect(decoded.messages[5]!.note).toContain('invalid base64');
    decoded.messages.forEach((m, i) => expect(Math.abs(m.score - messages[i]!.score)).toBeLessThanOrEqual(1 / 65535));
  });

  it('stays under 2 KB per 100 messages (the ZooKeeper footprint budget)', () => {
    const encoded = encodeBatchResult({
      processor: 'a-rather-long-hostname.example.org:123456:0123456789abcdef',
      expected: 1000,
      messages: sampleMessages(1000),
      fetchMs: 100,
      classifyMs: 100,
      stallMs: 5,
    });
    expect(encoded.length / 10).toBeLessThan(2048);
  });

  it('names what is wrong with a foreign buffer', () => {
    expect(() => decodeBatchResult(Buffer.from('not deflated json'))).toThrow(/not a spamzk batch result/);
  });
});
