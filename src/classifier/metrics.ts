/**
 * The figures every evaluation prints, and the job report's accuracy section
 * (docs/findings.md reports the reference tools with the same definitions):
 * spam is the positive class, and "unsure" counts as not spam (it is
 * delivered, so a false negative for recall, never a false positive).
 */
import type { VerdictLabel } from './types.js';

export interface Scored {
  readonly truth: 'spam' | 'ham';
  readonly label: VerdictLabel;
  readonly score: number;
}

export interface EvalFigures {
  readonly messages: number;
  readonly spam: number;
  readonly ham: number;
  readonly accuracy: number;
  /** Ham called spam / ham. */
  readonly fpr: number;
  /** Spam called spam / spam. */
  readonly recall: number;
  readonly precision: number;
  readonly f1: number;
  /** ROC AUC of the score (ties count one half). */
  readonly auc: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly unsure: { readonly spam: number; readonly ham: number };
}

/** tp: spam called spam, fn: spam let through, fp: ham called spam, tn: ham let through. */
export interface ConfusionCounts {
  readonly tp: number;
  readonly fn: number;
  readonly fp: number;
  readonly tn: number;
}

/** The ratios of a confusion matrix; null where the denominator is zero. */
export interface ConfusionRates {
  readonly accuracy: number | null;
  readonly fpr: number | null;
  readonly recall: number | null;
  readonly precision: number | null;
  readonly f1: number | null;
}

export function confusionRates({ tp, fn, fp, tn }: ConfusionCounts): ConfusionRates {
  const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);
  return {
    accuracy: ratio(tp + tn, tp + fn + fp + tn),
    fpr: ratio(fp, fp + tn),
    recall: ratio(tp, tp + fn),
    precision: ratio(tp, tp + fp),
    // 2PR/(P+R) rewritten so that it is defined (0) when nothing was called spam.
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}

export function evaluate(results: readonly Scored[]): EvalFigures {
  let tp = 0, fp = 0, tn = 0, fn = 0, unsureSpam = 0, unsureHam = 0;
  for (const r of results) {
    const calledSpam = r.label === 'spam';
    if (r.truth === 'spam') {
      if (calledSpam) tp++;
      else fn++;
      if (r.label === 'unsure') unsureSpam++;
    } else {
      if (calledSpam) fp++;
      else tn++;
      if (r.label === 'unsure') unsureHam++;
    }
  }
  const rates = confusionRates({ tp, fn, fp, tn });
  return {
    messages: results.length,
    spam: tp + fn,
    ham: fp + tn,
    accuracy: rates.accuracy ?? 0,
    fpr: rates.fpr ?? 0,
    recall: rates.recall ?? 0,
    precision: rates.precision ?? 0,
    f1: rates.f1 ?? 0,
    auc: rocAuc(results),
    falsePositives: fp,
    falseNegatives: fn,
    unsure: { spam: unsureSpam, ham: unsureHam },
  };
}

/** Mann-Whitney form of the ROC AUC: P(score of a spam > score of a ham), ties one half. */
export function rocAuc(results: readonly Scored[]): number {
  const sorted = [...results].sort((a, b) => a.score - b.score);
  let rankSumSpam = 0;
  let nSpam = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const midRank = (i + 1 + j) / 2; // average of ranks i+1..j
    for (let k = i; k < j; k++) {
      if (sorted[k]!.truth === 'spam') {
        rankSumSpam += midRank;
        nSpam++;
      }
    }
    i = j;
  }
  const nHam = sorted.length - nSpam;
  if (nSpam === 0 || nHam === 0) return Number.NaN;
  return (rankSumSpam - (nSpam * (nSpam + 1)) / 2) / (nSpam * nHam);
}
