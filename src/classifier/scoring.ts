/**
 * Gary Robinson's token probability with a prior ("A Statistical Approach to
 * the Spam Problem", 2003) and Fisher's inverse chi-square combining, as in
 * SpamBayes and bogofilter. Pure functions: the model supplies the counts.
 */

export interface ScoringOptions {
  /** Robinson's s: how many messages' worth of weight the prior has. */
  readonly robS: number;
  /** Robinson's x: the probability assumed for a token never seen. */
  readonly robX: number;
  /** Tokens whose probability is within minDev of 0.5 are ignored as noise. */
  readonly minDev: number;
  /** At most this many clues (the strongest) per message. */
  readonly maxClues: number;
  /** A score at or above this is spam. */
  readonly spamCutoff: number;
  /** A score below this is ham; between the two cutoffs, unsure. Equal cutoffs disable the band. */
  readonly hamCutoff: number;
}

/** Robinson's f(w): the spam probability of a token seen in `spam` spam and `ham` ham messages. */
export function tokenProbability(spam: number, ham: number, nSpam: number, nHam: number, o: ScoringOptions): number {
  const spamRatio = nSpam > 0 ? spam / nSpam : 0;
  const hamRatio = nHam > 0 ? ham / nHam : 0;
  const n = spam + ham;
  const p = spamRatio + hamRatio > 0 ? spamRatio / (spamRatio + hamRatio) : o.robX;
  return (o.robS * o.robX + n * p) / (o.robS + n);
}

/**
 * Fisher combining of the clue probabilities: 1 = spam, 0 = ham, 0.5 = no
 * evidence or evidence both ways. The products are summed as logarithms so
 * hundreds of clues do not underflow.
 */
export function fisherScore(probs: readonly number[]): number {
  const n = probs.length;
  if (n === 0) return 0.5;
  let logHam = 0; // ln of the product of p: very negative when the clues are hammy
  let logSpam = 0; // ln of the product of (1 - p)
  for (const p of probs) {
    logHam += Math.log(p);
    logSpam += Math.log1p(-p);
  }
  const spamminess = 1 - chi2Q(-2 * logSpam, 2 * n);
  const hamminess = 1 - chi2Q(-2 * logHam, 2 * n);
  return (1 + spamminess - hamminess) / 2;
}

/**
 * fisherScore as log-odds, ln(score / (1 - score)), computed without forming
 * the score: fisherScore saturates at exactly 0 or 1 for confident messages,
 * which ties them and loses their order (TREC's 1-ROCA% ranks by the score).
 * With S = 1 - Qs (spamminess) and H = 1 - Qh (hamminess),
 * score = (Qh + S) / 2 and 1 - score = (Qs + H) / 2, each side a sum of two
 * chi-square tails that are kept as logarithms.
 */
export function fisherLogOdds(probs: readonly number[]): number {
  const n = probs.length;
  if (n === 0) return 0;
  let logHam = 0;
  let logSpam = 0;
  for (const p of probs) {
    logHam += Math.log(p);
    logSpam += Math.log1p(-p);
  }
  const spamSide = chi2LogTails(-2 * logSpam, 2 * n); // upper = ln Qs, lower = ln S
  const hamSide = chi2LogTails(-2 * logHam, 2 * n); // upper = ln Qh, lower = ln H
  return logAddExp(hamSide.upper, spamSide.lower) - logAddExp(spamSide.upper, hamSide.lower);
}

function logAddExp(a: number, b: number): number {
  const hi = Math.max(a, b);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log(Math.exp(a - hi) + Math.exp(b - hi));
}

/**
 * ln P(chi2 >= x2) and ln P(chi2 < x2) for v (even) degrees of freedom, via
 * the Poisson form: with m = x2/2 and k = v/2, the upper tail is
 * e^-m sum_{i<k} m^i/i! and the lower one e^-m sum_{i>=k} m^i/i!. The smaller
 * tail is summed directly, as its largest term times a sum of term ratios
 * (no exp or log per term: this runs for every message), and the other is
 * log1p of minus it.
 */
export function chi2LogTails(x2: number, v: number): { upper: number; lower: number } {
  const m = x2 / 2;
  const k = v / 2;
  if (m <= 0) return { upper: 0, lower: -Infinity };
  if (m >= k) {
    const upper = chi2LogQ(x2, v);
    return { upper, lower: Math.log1p(-Math.exp(upper)) };
  }
  // i >= k: term(i+1) / term(i) = m / (i+1) < 1, so the first term is the largest.
  let ratio = 1;
  let sum = 1;
  for (let i = k + 1; i < k + 100_000 && ratio > 1e-17; i++) {
    ratio *= m / i;
    sum += ratio;
  }
  const lower = Math.min(0, -m + k * Math.log(m) - logFactorial(k) + Math.log(sum));
  return { upper: Math.log1p(-Math.exp(lower)), lower };
}

const LOG_FACTORIALS: number[] = [0];

/** ln k!, memoised: the same clue counts recur message after message. */
function logFactorial(k: number): number {
  for (let i = LOG_FACTORIALS.length; i <= k; i++) LOG_FACTORIALS.push(LOG_FACTORIALS[i - 1]! + Math.log(i));
  return LOG_FACTORIALS[k]!;
}

/** ln P(chi-square with v degrees of freedom >= x2), for even v, never -Infinity for finite x2. */
export function chi2LogQ(x2: number, v: number): number {
  const m = x2 / 2;
  const k = v / 2;
  if (m <= 0) return 0;
  // Terms i = 0..k-1 of m^i/i!: summed from the last down, as ratios of it,
  // term(i-1) / term(i) = i / m; the last is the largest when m >= k - 1.
  if (m >= k - 1) {
    let ratio = 1;
    let sum = 1;
    for (let i = k - 1; i >= 1 && ratio > 1e-17; i--) {
      ratio *= i / m;
      sum += ratio;
    }
    return Math.min(0, -m + (k - 1) * Math.log(m) - logFactorial(k - 1) + Math.log(sum));
  }
  // m < k - 1: the upper tail is near 1; the lower tail is the small one.
  return Math.log1p(-Math.exp(chi2LogTails(x2, v).lower));
}

/**
 * P(chi-square with v degrees of freedom >= x2), for even v. The series is
 * summed in the log domain: exp(-x2/2) alone underflows for x2 > 1490, which
 * would flatten every confident message to exactly 0 or 1 and lose their
 * order (and with it the ROC curve).
 */
export function chi2Q(x2: number, v: number): number {
  const m = x2 / 2;
  if (m <= 0) return 1;
  const logM = Math.log(m);
  let logTerm = -m;
  let maxLog = logTerm;
  const logs: number[] = [logTerm];
  for (let i = 1; i < v / 2; i++) {
    logTerm += logM - Math.log(i);
    logs.push(logTerm);
    if (logTerm > maxLog) maxLog = logTerm;
  }
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - maxLog);
  return Math.min(1, Math.exp(maxLog) * sum);
}
