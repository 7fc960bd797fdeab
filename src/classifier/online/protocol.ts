/**
 * The TREC immediate-feedback protocol: each message, in arrival order, is
 * classified by the model as it stands, then the model is told its true
 * label. `trainOn: 'all'` learns every message; `'error'` only those whose
 * binary verdict was wrong (unsure counts as ham). The ranking score is the
 * verdict's unclamped log-odds.
 */
import type { SpamModel } from '../model.js';
import { trecFigures, type StreamScore, type TrecFigures } from './trec-metrics.js';

export type TrainOn = 'all' | 'error';

export interface StreamMessage {
  readonly raw: Buffer;
  readonly label: 'spam' | 'ham';
}

export interface OnlineRun {
  readonly figures: TrecFigures;
  /** One per message, in stream order. */
  readonly scores: StreamScore[];
  /** Messages classified and (as the rule says) learned per second, MIME decoding included. */
  readonly msgsPerSec: number;
  readonly learned: number;
}

export function runOnline(model: SpamModel, stream: Iterable<StreamMessage>, trainOn: TrainOn): OnlineRun {
  const scores: StreamScore[] = [];
  let learned = 0;
  const started = performance.now();
  for (const msg of stream) {
    let verdict;
    if (trainOn === 'all') {
      verdict = model.learn(msg.raw, msg.label); // returns the verdict from before it learned
      learned++;
    } else {
      verdict = model.classify(msg.raw);
      if ((verdict.label === 'spam') !== (msg.label === 'spam')) {
        model.learn(msg.raw, msg.label);
        learned++;
      }
    }
    scores.push({ truth: msg.label, score: verdict.logOdds ?? verdict.score, calledSpam: verdict.label === 'spam' });
  }
  const seconds = (performance.now() - started) / 1000;
  return { figures: trecFigures(scores), scores, msgsPerSec: seconds > 0 ? scores.length / seconds : Number.NaN, learned };
}
