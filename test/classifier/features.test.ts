/**
 * The regression's hashed features: byte 4-grams of the raw head, and
 * character 4-grams of the decoded text (textChars), which see through a
 * base64 or quoted-printable body that is opaque to the raw bytes.
 */
import { describe, expect, it } from 'vitest';
import { decodeMail } from '../../src/classifier/mime/decode.js';
import { FeatureExtractor, type FeatureOptions } from '../../src/classifier/online/features.js';

const HEAD = 'From: a@example.org\nSubject: offer\nMIME-Version: 1.0\n';
const TEXT = 'Cheap watches and pills, order today from our online pharmacy.\n';
const plain = Buffer.from(`${HEAD}Content-Type: text/plain\n\n${TEXT}`);
const base64 = Buffer.from(`${HEAD}Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n${Buffer.from(TEXT).toString('base64')}\n`);

function features(raw: Buffer, options: FeatureOptions): Set<number> {
  const texts = decodeMail(raw).texts.map((t) => t.text);
  return new Set(new FeatureExtractor(options).extract(raw, [], texts));
}

function shared(a: Set<number>, b: Set<number>): number {
  return [...a].filter((f) => b.has(f)).length / Math.max(a.size, b.size);
}

describe('hashed features', () => {
  it('decoded-text 4-grams are the same for a body sent as base64 and as plain text; raw-byte 4-grams of the bodies are not', () => {
    const text = { bits: 20, headBytes: 0, tokens: false, textChars: 5000 };
    const a = features(plain, text);
    expect(a.size).toBeGreaterThan(40);
    expect(features(base64, text)).toEqual(a);
    const raw = { bits: 20, headBytes: 5000, tokens: false };
    expect(shared(features(plain, raw), features(base64, raw))).toBeLessThan(0.6);
  });

  it('decoded-text 4-grams fold case and runs of white space', () => {
    const text = { bits: 20, headBytes: 0, tokens: false, textChars: 5000 };
    const shouted = Buffer.from(`${HEAD}\n${TEXT.toUpperCase().replaceAll(' ', ' \n\t ')}`);
    expect(features(shouted, text)).toEqual(features(plain, text));
  });

  it('textChars bounds the decoded characters read, and 0 or absent reads none', () => {
    const some = features(plain, { bits: 20, headBytes: 0, tokens: false, textChars: 10 });
    expect(some.size).toBeGreaterThan(0);
    expect(some.size).toBeLessThanOrEqual(7); // 10 characters: at most 7 distinct 4-grams
    expect(features(plain, { bits: 20, headBytes: 0, tokens: false, textChars: 0 }).size).toBe(0);
    expect(features(plain, { bits: 20, headBytes: 0, tokens: false }).size).toBe(0);
  });
});
