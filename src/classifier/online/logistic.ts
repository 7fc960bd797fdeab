/**
 * Online logistic regression over binary hashed features, each scaled by
 * 1/sqrt(active features) so long and short messages move the weights alike.
 * Weights are float32 (half the memory and file of float64); every product is
 * summed in float64 and every update rounded to float32 the same way on every
 * machine (IEEE 754), so a model saved and loaded scores bit-identically.
 *
 * Thick threshold (Sculley & Wachman's "train on error" relaxed): a message
 * is learned only when its prediction is wrong or within `margin` of the
 * boundary, in probability; margin 0.5 learns everything.
 */

export interface LogisticOptions {
  readonly rate: number;
  /** Learn when |label - p| > 0.5 - margin... i.e. when p is not beyond 0.5 ± margin on the right side. */
  readonly margin: number;
}

export function logOdds(weights: Float32Array, features: Uint32Array): number {
  if (features.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < features.length; i++) sum += weights[features[i]!]!;
  return sum / Math.sqrt(features.length);
}

/** One gradient step on log-loss; returns whether it learned. */
export function learnLogistic(weights: Float32Array, features: Uint32Array, isSpam: boolean, o: LogisticOptions): boolean {
  if (features.length === 0) return false;
  const z = logOdds(weights, features);
  const p = 1 / (1 + Math.exp(-z));
  const error = (isSpam ? 1 : 0) - p;
  if (Math.abs(error) < 0.5 - o.margin) return false;
  const step = (o.rate * error) / Math.sqrt(features.length);
  for (let i = 0; i < features.length; i++) {
    const f = features[i]!;
    weights[f] = weights[f]! + step;
  }
  return true;
}
