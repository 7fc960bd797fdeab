/**
 * The TREC spam track's figures (Cormack & Lynam, TREC 2005-2007 overviews),
 * computed from a stream of (truth, score, binary verdict):
 * - 1-ROCA%: 100 x (1 - ROC AUC), ties counted one half; a stream with no
 *   misordered pair is floored at 0.5 / (hams x spams), as the TREC toolkit
 *   does, so that "perfect" still reads as a finite figure.
 * - lam%: logistic average misclassification, invlogit of the mean of the
 *   logits of the ham and spam misclassification rates (the toolkit replaces
 *   a rate of 0 by 0.5 / count so that the logit stays finite).
 * - h=.1%: spam misclassification at the score threshold where ham
 *   misclassification is at most 0.1%.
 * Scores are any monotone spamminess (log-odds here); higher means spam.
 */

export interface StreamScore {
  readonly truth: 'spam' | 'ham';
  /** Higher = spammier; any real number. */
  readonly score: number;
  /** The binary decision at the shipped threshold (unsure counts as ham). */
  readonly calledSpam: boolean;
}

export interface TrecFigures {
  readonly messages: number;
  readonly ham: number;
  readonly spam: number;
  readonly oneMinusRocaPct: number;
  readonly lamPct: number;
  readonly h01Pct: number;
  readonly hamMisclassPct: number;
  readonly spamMisclassPct: number;
}

/** Pairs (ham, spam) in the wrong order plus half the tied ones, over hams x spams; floored. */
export function oneMinusRocaPct(results: readonly StreamScore[]): number {
  const sorted = [...results].sort((a, b) => a.score - b.score);
  let hamsBelow = 0; // ham strictly below the current score group
  let misordered = 0; // sum over spam of hams above it, ties one half
  let hams = 0;
  let spams = 0;
  for (const r of results) r.truth === 'spam' ? spams++ : hams++;
  if (hams === 0 || spams === 0) return Number.NaN;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    let groupHam = 0;
    let groupSpam = 0;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) {
      sorted[j]!.truth === 'spam' ? groupSpam++ : groupHam++;
      j++;
    }
    const hamsAbove = hams - hamsBelow - groupHam;
    misordered += groupSpam * (hamsAbove + groupHam / 2);
    hamsBelow += groupHam;
    i = j;
  }
  const pairs = hams * spams;
  return (100 * Math.max(misordered, 0.5)) / pairs;
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** A rate of 0 (or 1) is replaced by 0.5 / n (or 1 - 0.5 / n) so its logit is finite. */
function boundedRate(errors: number, n: number): number {
  return Math.min(Math.max(errors, 0.5), n - 0.5) / n;
}

export function lamPct(hamErrors: number, hams: number, spamErrors: number, spams: number): number {
  const z = (logit(boundedRate(hamErrors, hams)) + logit(boundedRate(spamErrors, spams))) / 2;
  return 100 / (1 + Math.exp(-z));
}

/**
 * Spam misclassification at the lowest threshold that calls at most 0.1% of
 * ham spam (a message is called spam when its score is strictly above the
 * threshold, so tied scores go together).
 */
export function h01Pct(results: readonly StreamScore[]): number {
  const hamScores = results.filter((r) => r.truth === 'ham').map((r) => r.score).sort((a, b) => b - a);
  const spamScores = results.filter((r) => r.truth === 'spam').map((r) => r.score);
  if (hamScores.length === 0 || spamScores.length === 0) return Number.NaN;
  const allowed = Math.floor(hamScores.length * 0.001);
  // Hams strictly above the threshold must number <= allowed: the threshold is the (allowed+1)-th highest ham score.
  const threshold = hamScores[allowed]!;
  const missed = spamScores.filter((s) => s <= threshold).length;
  return (100 * missed) / spamScores.length;
}

export function trecFigures(results: readonly StreamScore[]): TrecFigures {
  let hams = 0, spams = 0, hamErrors = 0, spamErrors = 0;
  for (const r of results) {
    if (r.truth === 'ham') {
      hams++;
      if (r.calledSpam) hamErrors++;
    } else {
      spams++;
      if (!r.calledSpam) spamErrors++;
    }
  }
  return {
    messages: results.length,
    ham: hams,
    spam: spams,
    oneMinusRocaPct: oneMinusRocaPct(results),
    lamPct: hams > 0 && spams > 0 ? lamPct(hamErrors, hams, spamErrors, spams) : Number.NaN,
    h01Pct: h01Pct(results),
    hamMisclassPct: hams > 0 ? (100 * hamErrors) / hams : Number.NaN,
    spamMisclassPct: spams > 0 ? (100 * spamErrors) / spams : Number.NaN,
  };
}
