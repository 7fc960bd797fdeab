import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClassifierError, DEFAULT_MODEL_OPTIONS, SpamModel, trainModel } from '../../src/classifier/index.js';
import { chi2LogTails, chi2Q, fisherLogOdds, fisherScore } from '../../src/classifier/scoring.js';
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

  it('gives both chi-square tails as logarithms that add up to 1, even where one underflows', () => {
    for (const [x2, v] of [[3, 4], [10, 40], [60, 40], [1500, 40], [0.5, 200]] as const) {
      const { upper, lower } = chi2LogTails(x2, v);
      expect(Math.exp(upper) + Math.exp(lower)).toBeCloseTo(1, 12);
      expect(Number.isFinite(upper) && Number.isFinite(lower)).toBe(true);
    }
    expect(chi2LogTails(3, 4).upper).toBeCloseTo(Math.log(Math.exp(-1.5) * 2.5), 12);
  });

  it('fisherLogOdds is the logit of fisherScore, and keeps apart messages that fisherScore saturates to the same value', () => {
    for (const probs of [[0.7, 0.4, 0.9], [0.2, 0.3], [0.6, 0.55, 0.45, 0.99]]) {
      const p = fisherScore(probs);
      expect(fisherLogOdds(probs)).toBeCloseTo(Math.log(p / (1 - p)), 8);
    }
    const strong = Array.from({ length: 50 }, () => 0.99999);
    const stronger = Array.from({ length: 100 }, () => 0.99999);
    expect(fisherScore(strong)).toBe(fisherScore(stronger)); // saturated: a tie
    expect(fisherScore(strong)).toBeGreaterThan(1 - 1e-15);
    expect(fisherLogOdds(stronger)).toBeGreaterThan(fisherLogOdds(strong));
    expect(fisherLogOdds([])).toBe(0);
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
    for (const raw of probes) {
      const [a, b] = [loaded.classify(raw), model.classify(raw)];
      expect(Object.is(a.logOdds, b.logOdds) && Object.is(a.score, b.score)).toBe(true);
    }
    // The regression's weights were learned and survived the round trip (not an all-zero table).
    expect(probes.some((raw) => Math.abs(loaded.classify(raw).logOdds!) > 1)).toBe(true);
    expect(loaded.provenance).toEqual({ source: 'test sample', split: 'first 300 + 300 of TRAIN', trained: { spam: 300, ham: 300 }, learned: { spam: 0, ham: 0 } });
  });

  it('is deterministic: the same training gives the same bytes and id, and the id is the content hash', () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    trainModel(sample, from).save(a);
    trainModel(sample, from).save(b);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const text = readFileSync(a, 'utf8');
    const doc = JSON.parse(text) as { id: string; version: number; options: { online: Record<string, unknown> }; weights: { index: string; value: string } };
    expect(doc.id).toMatch(/^[0-9a-f]{64}$/);
    // The file records how features were hashed and how the model learned.
    expect(doc.version).toBe(3);
    expect(Object.keys(doc.options.online).sort()).toEqual(['bits', 'epochs', 'fisherScale', 'fisherWeight', 'fusionRate', 'headBytes', 'margin', 'rate', 'textChars', 'tokens']);
    const stored = Buffer.from(doc.weights.index, 'base64');
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.readUInt32LE(stored.length - 4)).toBeLessThan(2 ** (doc.options.online.bits as number));
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

  it('reads a version 2 file (no decoded-text 4-grams) as it was trained, and writes it back as version 2 with the same id', () => {
    const { textChars: _, ...online } = DEFAULT_MODEL_OPTIONS.online;
    const v2 = trainModel(sample.slice(0, 60), from, { ...DEFAULT_MODEL_OPTIONS, online });
    const path = join(dir, 'v2.json');
    v2.save(path);
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('"version":2,');
    const loaded = SpamModel.load(path);
    expect(loaded.id).toBe(v2.id);
    for (const raw of probes) expect(Object.is(loaded.classify(raw).logOdds, v2.classify(raw).logOdds)).toBe(true);
    // Its scores are those of a model without decoded-text features, not of today's defaults.
    const withText = trainModel(sample.slice(0, 60), from);
    expect(probes.some((raw) => loaded.classify(raw).logOdds !== withText.classify(raw).logOdds)).toBe(true);
    loaded.save(join(dir, 'v2-again.json'));
    expect(readFileSync(join(dir, 'v2-again.json'), 'utf8')).toBe(text);
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
    writeFileSync(join(dir, 'v9.json'), text.replace('"version":3', '"version":9'));
    expectCode(() => SpamModel.load(join(dir, 'v9.json')), 'MODEL_VERSION');
    expectCode(() => trainModel([], from).classify('text' as unknown as Buffer), 'NOT_A_BUFFER');
  });
});
