/** Score histogram: equal-width bins over [0, 1], split by known label. */
import type { HistogramBin } from './job-report.js';
import type { MessageOutcome } from './types.js';

export const HISTOGRAM_BINS = 20;

type MutableBin = { -readonly [K in keyof HistogramBin]: HistogramBin[K] };

export class ScoreHistogram {
  private readonly bins: MutableBin[];

  constructor(private readonly binCount = HISTOGRAM_BINS) {
    this.bins = Array.from({ length: binCount }, (_, i) => ({
      from: round6(i / binCount),
      to: round6((i + 1) / binCount),
      count: 0,
      spamLabelled: 0,
      hamLabelled: 0,
      unlabelled: 0,
    }));
  }

  /** Failed messages have no score and are not counted. */
  add(outcome: MessageOutcome): void {
    if (outcome.verdict === 'failed') return;
    const bin = this.bins[Math.min(this.binCount - 1, Math.floor(outcome.score * this.binCount))]!;
    bin.count++;
    if (outcome.label === 'spam') bin.spamLabelled++;
    else if (outcome.label === 'ham') bin.hamLabelled++;
    else bin.unlabelled++;
  }

  finish(): HistogramBin[] {
    return this.bins.map((b) => ({ ...b }));
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
