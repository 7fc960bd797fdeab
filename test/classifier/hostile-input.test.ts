/**
 * Bad and hostile mail: every case gets a verdict (with notes saying what was
 * wrong) within the test's timeout, and nothing throws. The model is the
 * shipped one, as the pipeline uses it.
 */
import { describe, expect, it } from 'vitest';
import { SpamModel, type Verdict } from '../../src/classifier/index.js';
import { listCorpus, readCorpusMessage } from '../../src/corpus/index.js';

const model = SpamModel.load();
const MiB = 1024 * 1024;

function expectVerdict(v: Verdict): void {
  expect(['spam', 'ham', 'unsure']).toContain(v.label);
  expect(v.score).toBeGreaterThanOrEqual(0);
  expect(v.score).toBeLessThanOrEqual(1);
}

function nested(depth: number): string {
  let inner = 'Content-Type: text/plain\n\ndeep inside\n';
  for (let i = depth; i > 0; i--) inner = `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n${inner}\n--b${i}--\n`;
  return `Subject: nested\n${inner}`;
}

describe('classify() on bad input', { timeout: 10_000 }, () => {
  it('an empty message', () => {
    const v = model.classify(Buffer.alloc(0));
    expectVerdict(v);
    expect(v).toMatchObject({ label: 'unsure', score: 0.5 });
    expect(v.notes).toEqual(['not an RFC 5322 message: empty']);
  });

  it('headers only', () => {
    const v = model.classify(Buffer.from('From: a@example.com\nSubject: hello\n'));
    expectVerdict(v);
    expect(v.notes).toEqual(['no body']);
  });

  it('no headers', () => {
    const v = model.classify(Buffer.from('just some words without any header\nand a second line\n'));
    expectVerdict(v);
    expect(v).toMatchObject({ label: 'unsure', score: 0.5 });
    expect(v.notes).toEqual(['not an RFC 5322 message: no header lines']);
  });

  it('invalid base64', () => {
    const v = model.classify(Buffer.from('Subject: x\nContent-Transfer-Encoding: base64\n\n!!!% not base64 at all ***\n'));
    expectVerdict(v);
    expect(v.notes?.[0]).toMatch(/^invalid base64/);
  });

  it('an unknown charset', () => {
    const v = model.classify(Buffer.from('Subject: x\nContent-Type: text/plain; charset="x-no-such-charset"\n\nhello\n'));
    expectVerdict(v);
    expect(v.notes?.[0]).toMatch(/^unknown charset "x-no-such-charset"/);
  });

  it('NUL bytes', () => {
    const v = model.classify(Buffer.from('Subject: a\0b\n\nbo\0dy \0\0\0 text\n'));
    expectVerdict(v);
    expect(v.notes).toContain('NUL bytes in message');
  });

  it('a 20 MB attachment: read up to the size cap, in bounded memory', () => {
    const attachment = Buffer.alloc(15 * MiB, 7).toString('base64').replace(/.{76}/g, '$&\n');
    const raw = Buffer.from(
      `Subject: big\nContent-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nsee attached\n--z\nContent-Type: application/zip; name=a.zip\nContent-Transfer-Encoding: base64\n\n${attachment}\n--z--\n`,
    );
    expect(raw.length).toBeGreaterThan(20 * MiB);
    const heapBefore = process.memoryUsage().heapUsed;
    const v = model.classify(raw);
    expectVerdict(v);
    expect(v.notes?.[0]).toBe(`size cap: read ${MiB} of ${raw.length} bytes`);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * MiB);
    expect(model.explain(raw).tokenCount).toBeGreaterThan(0);
  });

  it('multipart nested 1,000 deep, even without a size cap', () => {
    const raw = Buffer.from(nested(1000));
    const v = model.classify(raw, { maxBytes: 64 * MiB });
    expectVerdict(v);
    expect(v.notes).toEqual(['MIME nesting deeper than 20: inner parts skipped']);
  });

  it('a 10 MB line, capped by default and bounded without the cap', () => {
    const raw = Buffer.from(`Subject: long\n\n${'a'.repeat(10 * MiB)}\n`);
    const capped = model.classify(raw);
    expectVerdict(capped);
    expect(capped.notes?.[0]).toMatch(/^size cap: read 1048576 of/);
    const uncapped = model.classify(raw, { maxBytes: 64 * MiB });
    expectVerdict(uncapped);
    expect(uncapped.notes).toEqual(['text cap: only the first 262144 characters of text read']);
  });

  it('a 1 MB header line without an address', () => {
    const v = model.classify(Buffer.from(`To: ${'a'.repeat(MiB)}\nFrom: ${'b'.repeat(100_000)}\nSubject: x\n\nbody\n`));
    expectVerdict(v);
    expect(v.notes?.[0]).toMatch(/^size cap/);
  });

  it('10,000 tiny parts', () => {
    const parts = Array.from({ length: 10_000 }, (_, i) => `--q\nContent-Type: text/plain\n\npart ${i}\n`).join('');
    const v = model.classify(Buffer.from(`Content-Type: multipart/mixed; boundary=q\n\n${parts}--q--\n`));
    expectVerdict(v);
    expect(v.notes).toEqual(['more than 200 MIME parts: the rest skipped']);
  });

  it('random bytes and damaged real messages never throw', () => {
    let seed = 42;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const real = listCorpus('test').slice(0, 100).map(readCorpusMessage);
    for (let i = 0; i < 300; i++) {
      let raw: Buffer;
      if (i % 2 === 0) {
        raw = Buffer.from(Array.from({ length: Math.floor(rand() * 4000) }, () => Math.floor(rand() * 256)));
      } else {
        raw = Buffer.from(real[i % real.length]!);
        for (let k = 0; k < 20; k++) raw[Math.floor(rand() * raw.length)] = Math.floor(rand() * 256);
        raw = raw.subarray(0, Math.floor(rand() * raw.length));
      }
      expectVerdict(model.classify(raw));
    }
  });

  it('a non-Buffer argument is a typed error naming the reason', () => {
    expect(() => model.classify('From: x' as unknown as Buffer)).toThrow(/needs the raw message as a Buffer/);
  });
});
