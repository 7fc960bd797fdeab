/**
 * The learn path: the user's corrections, read from the mailbox, learned
 * exactly once by the whole fleet into one model lineage (docs/design.md,
 * "Learning from the mailbox it guards").
 */
export { correctionId, correctionsFrom, type Correction, type CorrectionReason, type Direction, type VerdictLookup } from './correction.js';
export { detectCorrections, type DetectInput, type MailboxCursor } from './detect.js';
export { decodeHead, initialHead, learnPath, openLearnLog, readModelHead, type ModelHead } from './head.js';
export { learnPending, type LearnInput, type LearnStep, type MessageFetcher } from './learner.js';
export { DEFAULT_MODEL_STORE, ModelStore, ModelStoreError, type Lineage } from './model-store.js';
export { followModel, fixedModel, type ModelSource, type PinnedModel } from './follower.js';
export { startLearning, type LearningRun, type LearningSummary } from './run-learning.js';
