import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClassifierError, SpamModel, trainModel } from '../../src/classifier/index.js';
import { chi2Q, fisherScore } from '../../src/classifier/scoring.js';
import { listCorpus, readCorpusMessage } from '../../src/corpus/index.js';

const dir = mkdtempSync(join(tmpdir(), 'spamzk-model-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A small but real model: 300 TRAIN messages of each class.
const train = listCorpus('train');
const sample = [...train.filter((m) => m.label === 'ham').slice(0, 300), ...train.filter((m) => m.label === 'spam').slice(0, 300)].map((m) => ({
  raw: readCorpusMessage(m),
  label: m.label,
}));
const probes = listCorpus('test').filter((_, i) => i % 6 === 0).map(readCorpusMessage);
const from = { source: 'test sample', split: 'first 300 + 300 of TRAIN' };

describe('Fisher combining', () => {
  it('matches the closed form of the chi-square survival function', () => {
    // v = 2: Q = exp(-x/2); v = 4: Q = exp(-x/2) (1 + x/2)
    expect(chi2Q(3, 2)).toBeCloseTo(Math.exp(-1.5), 12);
    expect(chi2Q(3, 4)).toBeCloseTo(Math.exp(-1.5) * 2.5, 12);
    // exp(-750) underflows to 0, so a naive series says 0; the log-domain sum still ranks such messages.
    expect(Math.exp(-750)).toBe(0);
    expect(chi2Q(1500, 40)).toBeGreaterThan(0);
  });

  it('says 0.5 without evidence, near 1 for spammy clues and near 0 for hammy ones', () => {
    expect(fisherScore([])).toBe(0.5);
    expect(fisherScore([0.99, 0.98, 0.95])).toBeGreaterThan(0.95);
    expect(fisherScore([0.01, 0.02, 0.05])).toBeLessThan(0.05);
  });
});

describe('SpamModel', () => {
  it('scores bit-identically after a save and load, and keeps its id', () => {
    const model = trainModel(sample, from);
    const path = join(dir, 'm.json');
    model.save(path);
    const loaded = SpamModel.load(path);
    expect(loaded.id).toBe(model.id);
    for (const raw of probes) expect(Object.is(loaded.classify(raw).score, model.classify(raw).score)).toBe(true);
    expect(loaded.provenance).toEqual({ source: 'test sample', split: 'first 300 + 300 of TRAIN', trained: { spam: 300, ham: 300 }, learned: { spam: 0, ham: 0 } });
  });

  it('is deterministic: the same training gives the same bytes and id, and the id is the content hash', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    trainModel(sample, from).save(a);
    trainModel(sample, from).save(b);
    expect(readFileSync(a)).toEqual(readFileSync(b));
    const text = readFileSync(a, 'utf8');
    const id = (JSON.parse(text) as { id: string }).id;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('learns one message incrementally: the score moves toward the label and the id changes', () => {
    const model = trainModel(sample, from);
    const raw = Buffer.from('Subject: zorblax quarterly\n\nzorblax frobnicator quarterly numbers\n');
    const before = model.classify(raw).score;
    const id = model.id;
    for (let i = 0; i < 3; i++) model.learn(raw, 'spam');
    expect(model.classify(raw).score).toBeGreaterThan(before);
    expect(model.id).not.toBe(id);
    expect(model.provenance.learned).toEqual({ spam: 3, ham: 0 });
    const path = join(dir, 'learned.json');
    model.save(path);
    expect(SpamModel.load(path).id).toBe(model.id);
  });

  it('explains a verdict with its strongest clues', () => {
    const model = trainModel(sample, from);
    const e = model.explain(probes[0]!, 5);
    expect(e.clues.length).toBeGreaterThan(0);
    expect(e.clues.length).toBeLessThanOrEqual(5);
    const strength = e.clues.map((c) => Math.abs(c.probability - 0.5));
    expect([...strength].sort((x, y) => y - x)).toEqual(strength);
    expect(e.verdict).toEqual(model.classify(probes[0]!));
  });

  it('names what is wrong with a model file', () => {
    const expectCode = (fn: () => unknown, code: string): void => {
      try {
        fn();
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(ClassifierError);
        expect((err as ClassifierError).code).toBe(code);
      }
    };
    expectCode(() => SpamModel.load(join(dir, 'missing.json')), 'MODEL_NOT_FOUND');
    writeFileSync(join(dir, 'junk.json'), 'not json');
    expectCode(() => SpamModel.load(join(dir, 'junk.json')), 'MODEL_CORRUPT');
    const good = join(dir, 'good.json');
    trainModel(sample.slice(0, 20), from).save(good);
    const text = readFileSync(good, 'utf8');
    writeFileSync(join(dir, 'edited.json'), text.replace('"nHam":', '"nHam":1'));
    expectCode(() => SpamModel.load(join(dir, 'edited.json')), 'MODEL_CORRUPT');
    writeFileSync(join(dir, 'v9.json'), text.replace('"version":1', '"version":9'));
    expectCode(() => SpamModel.load(join(dir, 'v9.json')), 'MODEL_VERSION');
    expectCode(() => trainModel([], from).classify('text' as unknown as Buffer), 'NOT_A_BUFFER');
  });
});
