/**
 * Per-processor figures and throughput over time, from the batch commits.
 *
 * A batch's messages are spread evenly over its claim-to-commit span before
 * they are put into time buckets. Counting them at the commit instant alone
 * would draw spikes of batch size at commit times and zeros in between, which
 * is how the commit log looks, not how fast the processor worked.
 */
import type { ProcessorSummary, ThroughputSeries, ThroughputTimeline } from './job-report.js';
import { compareStrings } from './ordering.js';
import type { BatchCommit, ReportInput } from './types.js';

/** Aim for about this many buckets on the time axis. */
const TARGET_BUCKETS = 40;
const MIN_BUCKET_MS = 100;

export interface CommitRate {
  /** Messages the commits account for. */
  readonly messages: number;
  /** From the first claim to the last commit, ms. */
  readonly activeMs: number;
  /** messages / activeMs, per second; null with no commits or no elapsed time. */
  readonly messagesPerSecond: number | null;
}

/** The one definition of throughput, for the job (`spamzk status`) and for each processor (the report). */
export function commitRate(commits: Iterable<BatchCommit>): CommitRate {
  let messages = 0;
  let start = Infinity;
  let end = -Infinity;
  for (const c of commits) {
    messages += c.messages;
    start = Math.min(start, claimedAt(c));
    end = Math.max(end, c.committedAt);
  }
  const activeMs = end > start ? end - start : 0;
  return { messages, activeMs, messagesPerSecond: activeMs > 0 ? round2((messages * 1000) / activeMs) : null };
}

interface ProcessorTally {
  messages: number;
  commits: BatchCommit[];
  busyMs: number;
  lostClaims: number;
  reclaimed: number;
  fencedCommits: number;
}

export function summarizeProcessors(
  input: ReportInput,
  messagesByProcessor: ReadonlyMap<string, number>,
): ProcessorSummary[] {
  const tallies = new Map<string, ProcessorTally>();
  const tally = (id: string): ProcessorTally => {
    let t = tallies.get(id);
    if (!t) {
      t = {
        messages: 0, commits: [], busyMs: 0, lostClaims: 0, reclaimed: 0, fencedCommits: 0,
      };
      tallies.set(id, t);
    }
    return t;
  };
  for (const [id, count] of messagesByProcessor) tally(id).messages = count;
  for (const c of input.commits) {
    const t = tally(c.processor);
    t.commits.push(c);
    t.busyMs += durationOf(c);
  }
  for (const r of input.reclaims) {
    if (r.fromProcessor !== '') tally(r.fromProcessor).lostClaims++;
    tally(r.byProcessor).reclaimed++;
  }
  for (const f of input.fencedCommits) tally(f.processor).fencedCommits++;
  const stalls = input.eventLoopStallMs ?? {};
  for (const id of Object.keys(stalls)) tally(id);

  return [...tallies.keys()].sort(compareStrings).map((processor) => {
    const t = tallies.get(processor)!;
    const rate = commitRate(t.commits);
    return {
      processor,
      messages: t.messages,
      batches: t.commits.length,
      activeMs: rate.activeMs,
      messagesPerSecond: rate.messagesPerSecond,
      busyMs: t.busyMs,
      lostClaims: t.lostClaims,
      reclaimed: t.reclaimed,
      fencedCommits: t.fencedCommits,
      maxEventLoopStallMs: stalls[processor] ?? null,
    };
  });
}

export function throughputTimeline(
  commits: readonly BatchCommit[],
  processors: readonly string[],
  fallbackStartMs: number,
): ThroughputTimeline {
  if (commits.length === 0) {
    return {
      startMs: fallbackStartMs,
      endMs: fallbackStartMs,
      bucketMs: 1000,
      buckets: 0,
      series: processors.map((processor) => ({ processor, messagesPerSecond: [] })),
    };
  }
  let start = Infinity;
  let end = -Infinity;
  for (const c of commits) {
    start = Math.min(start, claimedAt(c));
    end = Math.max(end, c.committedAt);
  }
  const bucketMs = niceBucketMs((end - start) / TARGET_BUCKETS);
  const buckets = Math.max(1, Math.ceil((end - start) / bucketMs));
  const perProcessor = new Map<string, number[]>(processors.map((p) => [p, new Array<number>(buckets).fill(0)]));
  for (const c of commits) {
    const counts = perProcessor.get(c.processor);
    if (counts) spreadOverBuckets(counts, c, start, bucketMs);
  }
  // The last bucket usually reaches past the last commit: divide by the part
  // of it the job covered, or every chart would end in a false drop.
  const lastBucketMs = end - start - (buckets - 1) * bucketMs || bucketMs;
  const series: ThroughputSeries[] = processors.map((processor) => ({
    processor,
    messagesPerSecond: perProcessor.get(processor)!.map((n, i) =>
      round2((n * 1000) / (i === buckets - 1 ? lastBucketMs : bucketMs))),
  }));
  return { startMs: start, endMs: end, bucketMs, buckets, series };
}

function spreadOverBuckets(counts: number[], c: BatchCommit, start: number, bucketMs: number): void {
  const last = counts.length - 1;
  const from = claimedAt(c) - start;
  const to = c.committedAt - start;
  const duration = durationOf(c);
  if (duration === 0) {
    counts[Math.min(last, Math.floor(to / bucketMs))]! += c.messages;
    return;
  }
  for (let i = Math.floor(from / bucketMs); i <= Math.min(last, Math.floor(to / bucketMs)); i++) {
    const overlap = Math.min(to, (i + 1) * bucketMs) - Math.max(from, i * bucketMs);
    if (overlap > 0) counts[i]! += (c.messages * overlap) / duration;
  }
}

/**
 * Claim and commit times are ctimes stamped by whichever ZooKeeper server
 * handled each write; in an ensemble their clocks can disagree by a few ms, so
 * a fast batch can show a negative duration. It counts as zero.
 */
function durationOf(c: BatchCommit): number {
  return Math.max(0, c.durationMs);
}

function claimedAt(c: BatchCommit): number {
  return c.committedAt - durationOf(c);
}

/** The smallest 1, 2 or 5 × 10^k ms that is at least `ms` (and at least MIN_BUCKET_MS). */
function niceBucketMs(ms: number): number {
  let step = MIN_BUCKET_MS;
  for (;;) {
    for (const m of [1, 2, 5]) if (step * m >= ms) return step * m;
    step *= 10;
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
