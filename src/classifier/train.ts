/** Training, as a function: see SpamModel.train. */
import { DEFAULT_MODEL_OPTIONS, SpamModel, type LabelledMessage, type ModelOptions, type TrainSource } from './model.js';

export function trainModel(
  messages: Iterable<LabelledMessage>,
  from: TrainSource,
  options: ModelOptions = DEFAULT_MODEL_OPTIONS,
): SpamModel {
  return SpamModel.train(messages, from, options);
}
