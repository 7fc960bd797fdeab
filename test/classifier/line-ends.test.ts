import { describe, expect, it } from 'vitest';
import { SpamModel } from '../../src/classifier/index.js';
import { listCorpus, readCorpusMessage } from '../../src/corpus/index.js';

/** What an IMAP server delivers: every bare LF as CRLF (src/sources/raw-message.ts does the same for fixtures). */
const asCrlf = (raw: Buffer): Buffer => Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');

describe('line ends', () => {
  it('every corpus message scores the same with LF line ends (a file) and CRLF (IMAP)', () => {
    const model = SpamModel.load();
    const sample = listCorpus(); // every message: a URL wrapped over a line end is rare (8 of 6046)
    const differing = sample.filter((m) => {
      const raw = readCorpusMessage(m);
      return model.classify(raw).score !== model.classify(asCrlf(raw)).score;
    });
    expect(sample.length).toBe(6046);
    expect(differing.map((m) => m.name)).toEqual([]);
  });
});
