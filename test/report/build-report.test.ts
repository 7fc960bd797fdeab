import { describe, expect, it } from 'vitest';
import {
  buildReport,
  renderHtml,
  renderMarkdown,
  ReportInputError,
  type MessageOutcome,
  type ReportInput,
  type ThroughputTimeline,
} from '../../src/report/index.js';
import { fixtureInput, shuffled } from './job-fixture.js';

/** Rates × bucket lengths, summed back into message counts. */
function messagesPerProcessor(t: ThroughputTimeline): Record<string, number> {
  const lastMs = t.endMs - t.startMs - (t.buckets - 1) * t.bucketMs;
  const seconds = (i: number) => (i === t.buckets - 1 ? lastMs : t.bucketMs) / 1000;
  return Object.fromEntries(t.series.map((s) => [s.processor, s.messagesPerSecond.reduce((sum, r, i) => sum + r * seconds(i), 0)]));
}

describe('buildReport on a job with failures, unsure verdicts, a reclaim, a fenced commit and a quarantined batch', () => {
  const input = fixtureInput();
  const report = buildReport(input);

  it('totals equal the number of outcomes, and add up by verdict', () => {
    expect(report.totals).toEqual({ messages: 70, spam: 13, ham: 51, unsure: 3, failed: 3 });
    expect(report.totals.messages).toBe(input.outcomes.length);
    expect(report.verdicts).toHaveLength(input.outcomes.length);
  });

  it('gives one verdict per message, sorted by key, with the reason of a failed one', () => {
    const verdicts = [...report.verdicts];
    const keys = verdicts.map((v) => v.key);
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(new Set(keys).size).toBe(70);
    expect(verdicts.find((v) => v.key === 16)).toEqual({
      key: 16, verdict: 'failed', score: null, batch: 1, processor: 'proc-b', label: 'spam',
      reason: 'vanished from the mailbox (expunged before fetch)',
    });
    expect(verdicts.find((v) => v.key === 33)).toEqual({
      key: 33, verdict: 'spam', score: 0.91, batch: 3, processor: 'proc-b', label: 'ham',
    });
    expect(report.failed.map((f) => f.key)).toEqual([13, 16, 52]);
    expect(report.partial).toEqual([{ key: 75, note: 'body truncated at 1 MiB' }]);
  });

  it('matches the confusion matrix worked out by hand, and the metrics derived from it', () => {
    const a = report.accuracy!;
    expect(a.labelled).toBe(70);
    expect(a.evaluated).toBe(67);
    expect(a.confusion).toEqual({
      spam: { spam: 12, ham: 2, unsure: 2, failed: 2 },
      ham: { spam: 1, ham: 49, unsure: 1, failed: 1 },
    });
    // Unsure as ham: TP 12, FN 2 + 2, FP 1, TN 49 + 1.
    expect(a.metrics.accuracy).toBeCloseTo(62 / 67, 12);
    expect(a.metrics.falsePositiveRate).toBeCloseTo(1 / 51, 12);
    expect(a.metrics.spamRecall).toBeCloseTo(12 / 16, 12);
    expect(a.metrics.precision).toBeCloseTo(12 / 13, 12);
    expect(a.metrics.f1).toBeCloseTo((2 * (12 / 13) * 0.75) / (12 / 13 + 0.75), 12);
    // Unsure as spam: TP 14, FN 2, FP 2, TN 49.
    expect(a.metricsUnsureAsSpam.accuracy).toBeCloseTo(63 / 67, 12);
    expect(a.metricsUnsureAsSpam.falsePositiveRate).toBeCloseTo(2 / 51, 12);
    expect(a.metricsUnsureAsSpam.spamRecall).toBeCloseTo(14 / 16, 12);
    expect(a.metricsUnsureAsSpam.precision).toBeCloseTo(14 / 16, 12);
    expect(a.metricsUnsureAsSpam.f1).toBeCloseTo(0.875, 12);
    expect(a.policy).toMatch(/unsure counts as ham/i);
  });

  it('lists a processor that never committed, with the claim it lost and its fenced commit', () => {
    expect(report.processors.map((p) => p.processor)).toEqual(['proc-a', 'proc-b', 'proc-c']);
    const c = report.processors[2]!;
    expect(c).toMatchObject({ batches: 0, messages: 0, messagesPerSecond: null, lostClaims: 1, fencedCommits: 1, maxEventLoopStallMs: 4100 });
    expect(report.processors[0]).toMatchObject({ batches: 4, messages: 40, activeMs: 8000, messagesPerSecond: 5 });
    expect(report.processors[1]).toMatchObject({ batches: 3, messages: 30, activeMs: 10_900, messagesPerSecond: 2.75, reclaimed: 1 });
    expect(report.maxEventLoopStallMs).toBe(4100);
  });

  it('spreads each processor\'s committed messages over time without losing any', () => {
    const t = report.throughput;
    expect(t.startMs).toBe(input.commits[0]!.committedAt - 2000);
    expect(t.endMs).toBe(input.commits[3]!.committedAt);
    expect(t.buckets * t.bucketMs).toBeGreaterThanOrEqual(11_000);
    const sent = messagesPerProcessor(t);
    expect(sent['proc-a']).toBeCloseTo(40, 1);
    expect(sent['proc-b']).toBeCloseTo(30, 1);
    expect(sent['proc-c']).toBe(0);
  });

  it('keeps commits, reclaims, fenced commits and quarantined batches with their details', () => {
    expect(report.commits.map((c) => c.batch)).toEqual([0, 1, 2, 3, 4, 5, 7]);
    expect(report.commits[3]).toMatchObject({ batch: 3, processor: 'proc-b', claimSeq: 9, attempts: 2 });
    expect(report.batches).toEqual({ planned: 8, committed: 7, quarantined: 1, pending: 0, retried: 1 });
    expect(report.reclaims).toEqual(input.reclaims);
    expect(report.fencedCommits).toEqual(input.fencedCommits);
    expect(report.quarantined[0]).toMatchObject({ batch: 6, attempts: 3 });
  });

  it('puts every scored message into the 20-bin histogram, and none of the failed ones', () => {
    const bins = report.scoreHistogram;
    expect(bins).toHaveLength(20);
    expect(bins.reduce((sum, b) => sum + b.count, 0)).toBe(67);
    expect(bins[0]).toMatchObject({ from: 0, to: 0.05, count: 49, hamLabelled: 49 });
    expect(bins[18]).toMatchObject({ count: 1, hamLabelled: 1 });
    expect(bins[19]).toMatchObject({ to: 1, count: 12, spamLabelled: 12 });
  });

  it('passes every integrity check on a consistent job', () => {
    expect(report.integrity.ok).toBe(true);
    expect(report.integrity.checks.map((c) => [c.name, c.status])).toEqual([
      ['unique-keys', 'pass'], ['one-commit-per-batch', 'pass'], ['outcomes-match-commits', 'pass'],
      ['batches-accounted', 'pass'], ['matches-source', 'pass'],
    ]);
  });

  it('is deterministic: the order the input arrives in does not change the report', () => {
    const reordered: ReportInput = {
      ...input,
      outcomes: shuffled(input.outcomes),
      commits: shuffled(input.commits),
      eventLoopStallMs: { 'proc-c': 4100, 'proc-b': 22, 'proc-a': 14 },
    };
    expect(JSON.stringify(buildReport(reordered))).toBe(JSON.stringify(report));
  });
});

describe('integrity checks catch a broken job', () => {
  it('finds a message committed twice, and the batch whose count no longer matches', () => {
    const input = fixtureInput();
    const twice: MessageOutcome = { key: 5, batch: 7, processor: 'proc-a', verdict: 'ham', score: 0.1 };
    const report = buildReport({ ...input, outcomes: [...input.outcomes, twice] });
    expect(report.integrity.ok).toBe(false);
    expect(report.integrity.duplicateKeys).toEqual([{ key: 5, count: 2, batches: [0, 7] }]);
    const byName = Object.fromEntries(report.integrity.checks.map((c) => [c.name, c]));
    expect(byName['unique-keys']!.status).toBe('fail');
    expect(byName['outcomes-match-commits']!.detail).toContain('batch 7 planned 10 messages but has 11 outcomes');
    expect(byName['outcomes-match-commits']!.detail).toContain('key 5 is outside batch 7');
    expect(byName['matches-source']!.status).toBe('fail');
  });

  it('finds a batch committed by two claims', () => {
    const input = fixtureInput();
    const second = { ...input.commits[3]!, claimSeq: 3, processor: 'proc-c' };
    const report = buildReport({ ...input, commits: [...input.commits, second] });
    expect(JSON.stringify(buildReport({ ...input, commits: shuffled([...input.commits, second]) }))).toBe(JSON.stringify(report));
    const check = report.integrity.checks.find((c) => c.name === 'one-commit-per-batch')!;
    expect(check.status).toBe('fail');
    expect(check.detail).toContain('batch 3 ×2 (claims 3, 9)');
  });

  it('fails a job marked complete with a batch neither committed nor quarantined, and skips it while in progress', () => {
    const input = fixtureInput();
    const withoutBatch7 = {
      ...input,
      outcomes: input.outcomes.filter((o) => o.batch !== 7),
      commits: input.commits.filter((c) => c.batch !== 7),
    };
    const complete = buildReport(withoutBatch7);
    expect(complete.batches.pending).toBe(1);
    const accounted = complete.integrity.checks.find((c) => c.name === 'batches-accounted')!;
    expect(accounted).toMatchObject({ status: 'fail' });
    expect(complete.integrity.checks.find((c) => c.name === 'matches-source')!.detail).toContain('10 messages unaccounted for');

    const running = buildReport({ ...withoutBatch7, job: { ...input.job, complete: false, expectedMessages: undefined } });
    expect(running.integrity.checks.find((c) => c.name === 'batches-accounted')!.status).toBe('skipped');
    expect(running.integrity.ok).toBe(true);
  });
});

describe('buildReport edge cases', () => {
  it('has no accuracy block when no label is known', () => {
    const input = fixtureInput();
    const unlabelled = input.outcomes.map((o) => ({ ...o, label: undefined }));
    const report = buildReport({ ...input, outcomes: unlabelled });
    expect(report.accuracy).toBeNull();
    expect(report.scoreHistogram.reduce((sum, b) => sum + b.unlabelled, 0)).toBe(67);
  });

  it('builds a report of an empty job that has not committed anything yet', () => {
    const input = fixtureInput();
    const report = buildReport({
      ...input, job: { ...input.job, complete: false }, outcomes: [], commits: [], reclaims: [], fencedCommits: [], quarantined: [],
      eventLoopStallMs: undefined,
    });
    expect(report.totals.messages).toBe(0);
    expect(report.throughput.buckets).toBe(0);
    expect(report.processors).toEqual([]);
    expect(report.maxEventLoopStallMs).toBeNull();
    expect(renderHtml(report)).toContain('no batch committed yet');
    expect(renderMarkdown(report)).toContain('| 0 | 0 | 0 | 0 | 0 |');
  });

  it('counts a negative claim-to-commit time (ensemble clocks disagree) as zero', () => {
    const input = fixtureInput();
    const commits = input.commits.map((c) => (c.batch === 0 ? { ...c, durationMs: -3 } : c));
    const report = buildReport({ ...input, commits });
    // Batch 0 now starts at its commit (2 s), like batch 2: proc-a was active from 2 s to 8 s.
    expect(report.processors[0]).toMatchObject({ busyMs: 6000, activeMs: 6000 });
    expect(messagesPerProcessor(report.throughput)['proc-a']).toBeCloseTo(40, 1);
  });

  it('accepts a reclaim whose previous owner is not known, without inventing a processor', () => {
    const input = fixtureInput();
    const report = buildReport({ ...input, reclaims: [{ ...input.reclaims[0]!, fromProcessor: '' }] });
    expect(report.processors.map((p) => p.processor)).toEqual(['proc-a', 'proc-b', 'proc-c']);
    expect(report.processors[2]!.lostClaims).toBe(0);
    expect(renderMarkdown(report)).toContain('batch 3: taken from an unknown processor by proc-b (stale)');
  });

  it('never copies a password from a source URL into the report', () => {
    const input = fixtureInput();
    const report = buildReport({ ...input, job: { ...input.job, source: 'imaps://alice:s3cr3t@mail.example.org:993/INBOX' } });
    expect(report.job.source).toBe('imaps://alice:***@mail.example.org:993/INBOX');
    expect(JSON.stringify(report) + renderMarkdown(report) + renderHtml(report)).not.toContain('s3cr3t');
  });

  it('rejects a score that is not a probability, naming the message', () => {
    const input = fixtureInput();
    const bad: MessageOutcome = { key: 99, batch: 7, processor: 'proc-a', verdict: 'spam', score: Number.NaN };
    const build = () => buildReport({ ...input, outcomes: [...input.outcomes, bad] });
    expect(build).toThrow(ReportInputError);
    expect(build).toThrow(/key 99, batch 7\): score NaN is not a probability in \[0, 1\]/);
    try {
      build();
    } catch (error) {
      expect((error as ReportInputError).code).toBe('REPORT_INPUT_INVALID');
    }
  });

  it('handles 100,000 messages in one build, with exact totals', () => {
    const outcomes: MessageOutcome[] = [];
    const commits = [];
    for (let batch = 0; batch < 1000; batch++) {
      for (let i = 1; i <= 100; i++) {
        const key = batch * 100 + i;
        const score = (key * 7919) % 1000 / 1000;
        outcomes.push({ key, batch, processor: `p${batch % 4}`, verdict: score > 0.9 ? 'spam' : score < 0.1 ? 'ham' : 'unsure', score });
      }
      commits.push({ batch, first: batch * 100 + 1, last: batch * 100 + 100, messages: 100, processor: `p${batch % 4}`,
        claimSeq: batch, attempts: 1, committedAt: 1_000_000 + batch * 50, durationMs: 200 });
    }
    const report = buildReport({
      job: { jobId: 'big', source: 'maildir:/x', modelId: 'm', batchSize: 100, batches: 1000, createdAt: 0, complete: true, expectedMessages: 100_000 },
      outcomes: shuffled(outcomes), commits, reclaims: [], fencedCommits: [], quarantined: [],
    });
    expect(report.totals).toEqual({ messages: 100_000, spam: 9_900, ham: 10_000, unsure: 80_100, failed: 0 });
    expect(report.integrity.ok).toBe(true);
    expect([...report.verdicts][99_999]!.key).toBe(100_000);
    expect(report.throughput.buckets).toBeLessThanOrEqual(40);
    // 1000 batches committed every 50 ms, each 200 ms long: the last bucket is partial.
    expect((report.throughput.endMs - report.throughput.startMs) % report.throughput.bucketMs).not.toBe(0);
    const sent = messagesPerProcessor(report.throughput);
    for (const p of ['p0', 'p1', 'p2', 'p3']) expect(sent[p]).toBeCloseTo(25_000, -1);
  });
});
