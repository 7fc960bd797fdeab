/**
 * A job of 200,000 committed batches, built in memory (no znodes): the
 * report's input and the report itself must not spread the batch list into
 * Math.min/Math.max, which throws RangeError past ~125k arguments (issue 12).
 */
import { describe, expect, it } from 'vitest';
import type { Batch, DoneMarker, JobStatus } from '../../src/coordination/index.js';
import { encodeBatchResult } from '../../src/pipeline/index.js';
import { reportInputFrom } from '../../src/pipeline/gather.js';
import { buildReport } from '../../src/report/index.js';

const BATCHES = 200_000;
const T0 = 1_700_000_000_000;

function syntheticJob(): { status: JobStatus; batches: Batch[]; done: DoneMarker[] } {
  const batches: Batch[] = [];
  const done: DoneMarker[] = [];
  for (let b = 0; b < BATCHES; b++) {
    batches.push({ index: b, first: b + 1, last: b + 1, count: 1 });
    const result = encodeBatchResult({ messages: [{ key: b + 1, verdict: b % 3 === 0 ? 'spam' : 'ham', score: (b % 100) / 100 }], fetchMs: 1, classifyMs: 1, stallMs: b % 50 });
    done.push({ batch: b, processorId: `p${b % 4}`, claimSeq: 0, attempt: 1, claimedAt: T0 + b * 10, committedAt: T0 + b * 10 + 5, result });
  }
  const status: JobStatus = {
    spec: { jobId: 'big', sourceId: 'synthetic', modelId: 'm', batchSize: 1 },
    batchCount: BATCHES,
    done: BATCHES,
    quarantined: 0,
    claimed: 0,
    pending: 0,
    complete: true,
    processors: [],
    reclaims: 0,
    fencedCommits: 0,
  };
  return { status, batches, done };
}

describe('a job of 200,000 batches', () => {
  it('gathers and reports without RangeError, with the earliest claim and the largest stall', () => {
    const { status, batches, done } = syntheticJob();
    const plan = { batchCount: BATCHES, ready: true, version: 1 };
    const input = reportInputFrom('big', { spec: status.spec, plan, batches, done, quarantine: [], events: [] });
    expect(input.job.createdAt).toBe(T0);
    const report = buildReport(input);
    expect(report.totals.messages).toBe(BATCHES);
    expect(report.maxEventLoopStallMs).toBe(49);
    expect(report.integrity.checks.every((c) => c.status === 'pass')).toBe(true);
  }, 120_000);
});
