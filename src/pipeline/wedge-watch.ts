/**
 * What a processor does when its worker was given up as stalled (no progress
 * for 2 × staleAfter): the coordination layer aborts the worker's signal and
 * moves on. A mail source that honours aborts ends the fetch at once, and the
 * processor carries on with the next batch. A worker that does not settle even
 * then sits in a source that is wedged for good (chaos seed 50 round 25, before
 * IMAP connection set-up honoured aborts: every later fetch of that process hung
 * too), and only a fresh process gets a fresh source.
 */
import { WorkerStalledError } from '../coordination/index.js';

/** How long an aborted worker may take to settle before its source counts as wedged. */
export const WEDGED_AFTER_MS = 10_000;

/** A stalled batch's fetch or classification ignored its abort: this processor's source is not trusted again. */
export class SourceWedgedError extends Error {
  readonly code = 'SOURCE_WEDGED';
  constructor(stall: string, graceMs: number) {
    super(
      `the mail source stopped answering (${stall}) and ignored the abort for ${graceMs / 1000} s; ` +
        'this processor stops so that a fresh one takes its place',
    );
    this.name = 'SourceWedgedError';
  }
}

/**
 * Watches one batch's work. Call the returned function when the work settles;
 * if the signal was aborted as stalled and the work has not settled `graceMs`
 * later, `onWedged` is called.
 */
export function watchForWedge(signal: AbortSignal, onWedged: (err: SourceWedgedError) => void, graceMs = WEDGED_AFTER_MS): () => void {
  let timer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    const reason: unknown = signal.reason;
    if (reason instanceof WorkerStalledError) timer = setTimeout(() => onWedged(new SourceWedgedError(reason.message, graceMs)), graceMs);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal.removeEventListener('abort', onAbort);
    clearTimeout(timer);
  };
}
