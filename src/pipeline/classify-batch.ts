/**
 * One batch's work: fetch its key range from the source, classify each
 * message, and account for every message of the range, classified or not.
 *
 * A bad message fails alone (its reason is recorded); only a failure of the
 * source itself (connection lost, UIDVALIDITY changed) fails the batch, so
 * the coordination layer retries it elsewhere.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Verdict } from '../classifier/types.js';
import type { MailSource } from '../sources/types.js';
import type { MessageVerdict, TrueLabel } from '../report/index.js';
import { quantizeScore, type BatchResult } from './batch-result.js';
import { messageHeadersOf } from './message-headers.js';

/** What the pipeline needs of a model: structural, so tests may pass any. */
/** Classification gives the event loop a turn after this much synchronous work, unless told otherwise. */
export const DEFAULT_YIELD_EVERY_MS = 10;

export interface MessageClassifier {
  classify(raw: Buffer): Verdict;
}

export interface BatchToClassify {
  readonly first: number;
  readonly last: number;
  /** Messages the plan saw in [first, last]. */
  readonly count: number;
}

export interface ClassifyBatchOptions {
  readonly source: MailSource;
  readonly classifier: MessageClassifier;
  readonly signal: AbortSignal;
  /**
   * Give the event loop a turn after this much synchronous work, so that
   * ZooKeeper pings and heartbeats never starve behind classification.
   */
  readonly yieldEveryMs?: number;
  /**
   * Called as messages arrive from the source and after each yield of the
   * classification; the coordination heartbeat hangs off it, so a slow but
   * moving fetch keeps its claim fresh and only a silent one goes stale.
   */
  readonly onProgress?: (stage: 'fetching' | 'classifying', done: number) => void;
  /** Longest event-loop stall so far in this batch, from the processor's monitor. */
  readonly stallMs?: () => number;
}

export async function classifyBatch(batch: BatchToClassify, opts: ClassifyBatchOptions): Promise<BatchResult> {
  const yieldEveryMs = opts.yieldEveryMs ?? DEFAULT_YIELD_EVERY_MS;
  const fetchStart = performance.now();
  const fetched = await opts.source.fetchRange({ first: batch.first, last: batch.last }, opts.signal, (received) =>
    opts.onProgress?.('fetching', received),
  );
  const fetchMs = performance.now() - fetchStart;

  const classifyStart = performance.now();
  const messages: MessageVerdict[] = [];
  let sliceStart = performance.now();
  for (const message of fetched) {
    opts.signal.throwIfAborted();
    messages.push(classifyOne(opts.classifier, message.key, message.raw, message.label));
    if (performance.now() - sliceStart >= yieldEveryMs) {
      await yieldToEventLoop();
      opts.onProgress?.('classifying', messages.length);
      sliceStart = performance.now();
    }
  }
  return {
    messages,
    fetchMs,
    classifyMs: performance.now() - classifyStart,
    stallMs: opts.stallMs?.() ?? 0,
  };
}

function classifyOne(
  classifier: MessageClassifier,
  key: number,
  raw: Buffer,
  label: TrueLabel | undefined,
): MessageVerdict {
  const known = label ? { label } : {};
  let names = {};
  try {
    names = messageHeadersOf(raw);
  } catch {
    // Names are for people; a header block they cannot be read from still gets its verdict.
  }
  try {
    const verdict = classifier.classify(raw);
    const note = verdict.notes?.length ? verdict.notes.join('; ') : undefined;
    return { key, verdict: verdict.label, score: quantizeScore(verdict.score), ...known, ...(note ? { note } : {}), ...names };
  } catch (err) {
    // The classifier's typed errors name the reason; anything else is still
    // this one message's failure, recorded rather than thrown.
    const reason = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    return { key, verdict: 'failed', score: null, ...known, reason, ...names };
  }
}
