/**
 * The classifier: MIME decoding, tokenizer, and a spam model that fuses
 * Robinson/Fisher token statistics with an online logistic regression over
 * hashed byte 4-grams and tokens. Knows nothing of ZooKeeper, IMAP or batches.
 *
 *   const model = SpamModel.load();            // the shipped model (DEFAULT_MODEL_PATH)
 *   const verdict = model.classify(rawBytes);  // { label, score, notes? }, never throws for bad mail
 */
export type { Verdict, VerdictLabel } from './types.js';
export { ClassifierError, type ClassifierErrorCode } from './errors.js';
export { DEFAULT_MODEL_PATH, MODELS_DIR, PACKAGE_ROOT } from './paths.js';
export {
  DEFAULT_MODEL_OPTIONS,
  SpamModel,
  type ClassifyOptions,
  type Clue,
  type Explanation,
  type LabelledMessage,
  type ModelOptions,
  type ModelProvenance,
  type TrainSource,
} from './model.js';
export type { OnlineOptions } from './model-types.js';
export type { ScoringOptions } from './scoring.js';
export type { TokenizerOptions } from './tokenizer/index.js';
export { trainModel } from './train.js';
export { confusionRates, evaluate, rocAuc, type ConfusionCounts, type ConfusionRates, type EvalFigures, type Scored } from './metrics.js';
export { decodeHeaderValue, headerValue, splitEntity } from './mime/headers.js';
export { runOnline, type OnlineRun, type StreamMessage, type TrainOn } from './online/protocol.js';
export { trecFigures, oneMinusRocaPct, lamPct, h01Pct, type StreamScore, type TrecFigures } from './online/trec-metrics.js';
