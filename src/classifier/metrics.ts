/**
 * The figures every evaluation prints (FINDINGS.md reports the reference tools
 * with the same definitions): spam is the positive class, and "unsure" counts
 * as not spam (it is delivered, so a false negative for recall, never a false
 * positive).
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
  const spam = tp + fn;
  const ham = fp + tn;
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = spam > 0 ? tp / spam : 0;
  return {
    messages: results.length,
    spam,
    ham,
    accuracy: results.length > 0 ? (tp + tn) / results.length : 0,
    fpr: ham > 0 ? fp / ham : 0,
    recall,
    precision,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
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
