/**
 * The messages a reader of a report wants to see by name: those called spam
 * or unsure, highest score first (ties by key), capped so the files stay
 * readable; report.json lists every verdict. The report keeps the top rows
 * as it folds the verdicts (a bounded list, not a sorted copy of them all).
 */
import type { FlaggedList, FlaggedMessage, JobReport } from './job-report.js';
import { byKey } from './ordering.js';
import type { MessageOutcome } from './types.js';

/** Rows of the spam/unsure table in report.html and report.md. */
export const MAX_FLAGGED_ROWS = 500;

export type { FlaggedList, FlaggedMessage };

/** At most MAX_FLAGGED_ROWS rows: what the report kept while it folded the verdicts. */
export function flaggedMessages(report: JobReport, max = MAX_FLAGGED_ROWS): FlaggedList {
  const { rows, total } = report.verdicts.flagged;
  return { rows: rows.slice(0, max), total };
}

/** Highest score first, then report.json's order (key, batch, processor). */
function flaggedOrder(a: FlaggedMessage, b: FlaggedMessage): number {
  return b.score - a.score || byKey(a, b);
}

/**
 * The top `max` flagged messages of a walk, holding at most twice that many
 * rows: the list is cut back to `max` whenever it doubles. Rows are copies
 * (`copy`), so the walked outcomes can be dropped as the walk moves on.
 */
export class FlaggedTally {
  private rows: FlaggedMessage[] = [];
  private total = 0;

  constructor(
    private readonly copy: (o: MessageOutcome) => MessageOutcome,
    private readonly max = MAX_FLAGGED_ROWS,
  ) {}

  add(o: MessageOutcome): void {
    if (o.verdict !== 'spam' && o.verdict !== 'unsure') return;
    this.total++;
    this.rows.push(this.copy(o) as FlaggedMessage);
    if (this.rows.length >= 2 * this.max) this.rows = this.cut();
  }

  finish(): FlaggedList {
    return { rows: this.cut(), total: this.total };
  }

  /** Stable sort: rows of equal rank keep the order they were walked in, as a sort of all of them would. */
  private cut(): FlaggedMessage[] {
    return [...this.rows].sort(flaggedOrder).slice(0, this.max);
  }
}

/** The cutoffs named in words, or undefined for a job planned before they were recorded. */
export function cutoffWords(report: JobReport): string | undefined {
  const c = report.job.cutoffs;
  if (!c) return undefined;
  return `A score below ${c.ham} is ham, ${c.spam} or above is spam, in between unsure (the model's cutoffs).`;
}
