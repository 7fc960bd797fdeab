import { describe, expect, it } from 'vitest';
import { listCorpus, readCorpusMessage } from '../../src/corpus/index.js';

describe('SpamAssassin corpus', () => {
  it('has the fixed split of docs/findings.md: 4805 TRAIN, 1241 TEST (854 ham, 387 spam)', () => {
    const all = listCorpus();
    expect(all).toHaveLength(6046);
    const test = listCorpus('test');
    expect(test).toHaveLength(1241);
    expect(test.filter((m) => m.label === 'ham')).toHaveLength(854);
    expect(test.filter((m) => m.label === 'spam')).toHaveLength(387);
    expect(listCorpus('train')).toHaveLength(4805);
  });

  it('strips the mbox envelope line, which is not a header', () => {
    const msg = listCorpus()[0]!;
    const raw = readCorpusMessage(msg);
    expect(raw.toString('latin1', 0, 5)).not.toBe('From ');
    expect(raw.toString('latin1')).toMatch(/^[A-Za-z-]+:/);
  });
});
