/**
 * A small but realistic job, written out by hand so that every figure the
 * tests check can be worked out on paper:
 *
 * - 8 batches of 10 keys (batch b holds keys 10b+1 … 10b+10), 80 messages.
 * - proc-a commits batches 0, 2, 4, 7; proc-b commits 1, 3, 5.
 * - proc-c claimed batch 3, was paused (a 4.1 s event-loop stall); proc-b
 *   reclaimed it as stale and committed it; proc-c's late commit was fenced.
 *   proc-c therefore has no commit at all.
 * - batch 6 was quarantined after 3 attempts: its 10 messages have no outcome.
 * - Labels: key % 4 === 0 is spam (18 of the 70 outcomes), the rest ham (52).
 * - Exceptions to "the verdict equals the label": failed 13 (ham), 16 and 52
 *   (spam); unsure 21 (ham), 24 and 28 (spam); ham called spam 33; spam called
 *   ham 40 and 44; key 75 was classified from a truncated body.
 */
import type { BatchCommit, MessageOutcome, ReportInput } from '../../src/report/index.js';

export const T0 = Date.UTC(2026, 10, 22, 0, 0, 0);
export const SCRIPT_REASON = 'malformed MIME: <script>alert("x")</script> & an unterminated boundary';
export const QUARANTINE_ERROR = 'classifier crashed 3 times: RangeError <img src=x onerror=alert(1)>';

const COMMITTER: Record<number, string> = { 0: 'proc-a', 1: 'proc-b', 2: 'proc-a', 3: 'proc-b', 4: 'proc-a', 5: 'proc-b', 7: 'proc-a' };

const FAILED: Record<number, string> = {
  13: 'malformed: no blank line between header and body',
  16: 'vanished from the mailbox (expunged before fetch)',
  52: SCRIPT_REASON,
};
const SCORED: Record<number, { verdict: 'spam' | 'ham' | 'unsure'; score: number }> = {
  21: { verdict: 'unsure', score: 0.5 },
  24: { verdict: 'unsure', score: 0.55 },
  28: { verdict: 'unsure', score: 0.45 },
  33: { verdict: 'spam', score: 0.91 },
  40: { verdict: 'ham', score: 0.2 },
  44: { verdict: 'ham', score: 0.1 },
};

export function fixtureOutcomes(): MessageOutcome[] {
  const outcomes: MessageOutcome[] = [];
  for (let key = 1; key <= 80; key++) {
    const batch = Math.floor((key - 1) / 10);
    if (batch === 6) continue;
    const processor = COMMITTER[batch]!;
    const label = key % 4 === 0 ? 'spam' : 'ham';
    const reason = FAILED[key];
    if (reason !== undefined) {
      outcomes.push({ key, batch, processor, verdict: 'failed', score: null, reason, label });
      continue;
    }
    const scored = SCORED[key] ?? (label === 'spam' ? { verdict: 'spam', score: 0.97 } : { verdict: 'ham', score: 0.03 });
    const note = key === 75 ? { note: 'body truncated at 1 MiB' } : {};
    outcomes.push({ key, batch, processor, ...scored, label, ...note });
  }
  return outcomes;
}

function commit(batch: number, claimSeq: number, startMs: number, endMs: number, attempts = 1): BatchCommit {
  return {
    batch, first: batch * 10 + 1, last: batch * 10 + 10, messages: 10, processor: COMMITTER[batch]!,
    claimSeq, attempts, committedAt: T0 + endMs, durationMs: endMs - startMs,
  };
}

/** A report input whose outcomes are one array (what the report tests reshape). */
export type ArrayReportInput = ReportInput & { readonly outcomes: readonly MessageOutcome[] };

export function fixtureInput(): ArrayReportInput {
  return {
    job: {
      jobId: 'job-7f3a', source: 'mbox:fixtures/spamassassin-test.mbox', modelId: 'nb-2026-11-21',
      batchSize: 10, batches: 8, createdAt: T0 - 500, complete: true, expectedMessages: 80,
    },
    outcomes: fixtureOutcomes(),
    commits: [
      commit(0, 0, 0, 2000),
      commit(1, 1, 100, 2300),
      commit(2, 2, 2000, 4000),
      commit(3, 9, 9000, 11000, 2),
      commit(4, 4, 4000, 6000),
      commit(5, 5, 2300, 4500),
      commit(7, 8, 6000, 8000),
    ],
    reclaims: [{ batch: 3, fromProcessor: 'proc-c', byProcessor: 'proc-b', reason: 'stale', at: T0 + 9000 }],
    fencedCommits: [{ batch: 3, processor: 'proc-c', claimSeq: 3, at: T0 + 11500 }],
    quarantined: [
      { batch: 6, first: 61, last: 70, attempts: 3, lastError: QUARANTINE_ERROR, messages: 10, processor: 'proc-a', at: T0 + 8000 },
    ],
    eventLoopStallMs: { 'proc-a': 14, 'proc-b': 22, 'proc-c': 4100 },
  };
}

/** A deterministic shuffle (the order ZooKeeper lists children in is arbitrary). */
export function shuffled<T>(items: readonly T[], seed = 7): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
