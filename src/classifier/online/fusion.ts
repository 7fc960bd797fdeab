/**
 * The small online fusion of TREC 2007's best runs: the regression's log-odds
 * and the Fisher evidence (squashed by tanh, since Fisher's log-odds reach the
 * hundreds and would drown the other) are weighed by three weights that a
 * logistic step adjusts after each message, from starting values that already
 * fuse the two sensibly (an empty model has nothing to learn them from).
 */
import type { FusionWeights, OnlineOptions } from '../model-types.js';

export interface Evidence {
  /** The regression's log-odds. */
  readonly lr: number;
  /** The Fisher log-odds, unclamped. */
  readonly fisher: number;
}

export function initialFusion(o: OnlineOptions): FusionWeights {
  return { lr: 1, fisher: o.fisherWeight, bias: 0 };
}

export function fusedLogOdds(w: FusionWeights, e: Evidence, o: OnlineOptions): number {
  return w.lr * e.lr + w.fisher * Math.tanh(e.fisher / o.fisherScale) + w.bias;
}

export function learnFusion(w: FusionWeights, e: Evidence, isSpam: boolean, o: OnlineOptions): void {
  if (o.fusionRate === 0) return;
  const p = 1 / (1 + Math.exp(-fusedLogOdds(w, e, o)));
  const step = o.fusionRate * ((isSpam ? 1 : 0) - p);
  w.lr += step * e.lr;
  w.fisher += step * Math.tanh(e.fisher / o.fisherScale);
  w.bias += step;
}
