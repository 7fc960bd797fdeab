/**
 * The TREC immediate-feedback protocol and its figures, on streams small
 * enough to check by hand, then on real messages (determinism, order of
 * classify and learn).
 */
import { describe, expect, it } from 'vitest';
import { h01Pct, lamPct, oneMinusRocaPct, runOnline, SpamModel, trecFigures, type StreamScore } from '../../src/classifier/index.js';
import { inArrivalOrder, listCorpus, readCorpusMessage } from '../../src/corpus/index.js';

const s = (truth: 'spam' | 'ham', score: number, calledSpam = score > 0): StreamScore => ({ truth, score, calledSpam });

describe('TREC figures', () => {
  it('1-ROCA% counts misordered (ham, spam) pairs over hams x spams, ties one half', () => {
    // hams 1, 2, 3; spams 2.5, 2, 4. Pairs wrong: spam 2.5 < ham 3 (1); spam 2 < ham 3 (1) and = ham 2 (1/2); spam 4: none.
    const stream = [s('ham', 1), s('ham', 2), s('ham', 3), s('spam', 2.5), s('spam', 2), s('spam', 4)];
    expect(oneMinusRocaPct(stream)).toBeCloseTo((100 * 2.5) / 9, 12);
  });

  it('a stream with every spam above every ham is floored at 0.5 / (hams x spams), as the TREC toolkit does', () => {
    const stream = [s('ham', -3), s('ham', -1), s('spam', 1), s('spam', 2), s('spam', 5)];
    expect(oneMinusRocaPct(stream)).toBeCloseTo((100 * 0.5) / 6, 12);
  });

  it('all scores tied is a coin toss: 50%', () => {
    expect(oneMinusRocaPct([s('ham', 0), s('spam', 0), s('ham', 0), s('spam', 0)])).toBeCloseTo(50, 12);
  });

  it('lam% is invlogit of the mean logit of the two misclassification rates, a zero rate counted as 0.5 errors', () => {
    // hm = 1/4, sm = 1/4 -> lam = 25%; hm = 1/10, sm = 4/10 -> invlogit((logit .1 + logit .4)/2)
    expect(lamPct(1, 4, 1, 4)).toBeCloseTo(25, 12);
    const logit = (p: number): number => Math.log(p / (1 - p));
    expect(lamPct(1, 10, 4, 10)).toBeCloseTo(100 / (1 + Math.exp(-(logit(0.1) + logit(0.4)) / 2)), 12);
    expect(lamPct(0, 10, 0, 10)).toBeCloseTo(5, 12);
  });

  it('h=.1% is the spam missed at the threshold that calls at most 0.1% of ham spam', () => {
    // 3 hams: 0.1% of them is 0, so the threshold is the top ham score (3); spams 2.5 and 2 fall at or below it.
    const stream = [s('ham', 1), s('ham', 2), s('ham', 3), s('spam', 2.5), s('spam', 2), s('spam', 4)];
    expect(h01Pct(stream)).toBeCloseTo((100 * 2) / 3, 12);
  });

  it('ham and spam misclassification come from the binary verdicts (unsure counts as ham)', () => {
    const f = trecFigures([s('ham', 1, true), s('ham', -1, false), s('spam', 0.5, false), s('spam', 2, true), s('spam', 3, true), s('spam', 4, true)]);
    expect(f).toMatchObject({ messages: 6, ham: 2, spam: 4, hamMisclassPct: 50, spamMisclassPct: 25 });
  });
});

describe('the online protocol on real mail', () => {
  const corpus = listCorpus('train');
  const stream = inArrivalOrder(
    [...corpus.filter((m) => m.label === 'ham').slice(0, 60), ...corpus.filter((m) => m.label === 'spam').slice(0, 60)].map((m) => ({
      name: m.name,
      raw: readCorpusMessage(m),
      label: m.label,
    })),
  );
  const empty = (): SpamModel => SpamModel.empty({ source: 'test', trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } });

  it('scores each message before learning it: the first message of an empty model has log-odds 0', () => {
    const run = runOnline(empty(), stream, 'all');
    expect(run.scores[0]!.score).toBe(0);
    expect(run.scores).toHaveLength(stream.length);
    expect(run.learned).toBe(stream.length);
    // It learns: the second half is ranked better than a coin toss by far.
    expect(oneMinusRocaPct(run.scores.slice(60))).toBeLessThan(10);
  });

  it('is deterministic: the same stream twice gives the same scores and the same model id', () => {
    const a = empty();
    const b = empty();
    const ra = runOnline(a, stream, 'all');
    const rb = runOnline(b, stream, 'all');
    expect(rb.scores.map((x) => x.score)).toEqual(ra.scores.map((x) => x.score));
    expect(b.id).toBe(a.id);
    expect(a.id).not.toBe(empty().id);
  });

  it('--train-on error learns only the messages it got wrong', () => {
    const model = empty();
    const run = runOnline(model, stream, 'error');
    const wrong = run.scores.filter((x) => x.calledSpam !== (x.truth === 'spam')).length;
    expect(run.learned).toBe(wrong);
    expect(model.provenance.learned.spam + model.provenance.learned.ham).toBe(wrong);
  });
});
