/**
 * The classifier: MIME decoding, tokenizer and a Robinson/Fisher
 * (Naive-Bayes-family) spam model. Knows nothing of ZooKeeper, IMAP or batches.
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
export type { ScoringOptions } from './scoring.js';
export type { TokenizerOptions } from './tokenizer/index.js';
export { trainModel } from './train.js';
export { confusionRates, evaluate, rocAuc, type ConfusionCounts, type ConfusionRates, type EvalFigures, type Scored } from './metrics.js';
export { decodeHeaderValue, headerValue, splitEntity } from './mime/headers.js';
