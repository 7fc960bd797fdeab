/**
 * The messages a reader of a report wants to see by name: those called spam
 * or unsure, highest score first (ties by key), capped so the files stay
 * readable; report.json lists every verdict.
 */
import type { JobReport } from './job-report.js';
import type { MessageOutcome } from './types.js';

/** Rows of the spam/unsure table in report.html and report.md. */
export const MAX_FLAGGED_ROWS = 500;

export type FlaggedMessage = MessageOutcome & { readonly verdict: 'spam' | 'unsure'; readonly score: number };

export interface FlaggedList {
  readonly rows: readonly FlaggedMessage[];
  /** Spam and unsure messages in all, shown or not. */
  readonly total: number;
}

export function flaggedMessages(report: JobReport, max = MAX_FLAGGED_ROWS): FlaggedList {
  const all = report.verdicts.filter((v): v is FlaggedMessage => v.verdict === 'spam' || v.verdict === 'unsure');
  all.sort((a, b) => b.score - a.score || a.key - b.key);
  return { rows: all.slice(0, max), total: all.length };
}

/** The cutoffs named in words, or undefined for a job planned before they were recorded. */
export function cutoffWords(report: JobReport): string | undefined {
  const c = report.job.cutoffs;
  if (!c) return undefined;
  return `A score below ${c.ham} is ham, ${c.spam} or above is spam, in between unsure (the model's cutoffs).`;
}
