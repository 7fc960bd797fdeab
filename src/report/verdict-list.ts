/**
 * report.json's `verdicts`: every outcome of the job by key, walked from the
 * job's outcome groups each time it is listed rather than held as a list, so
 * that a report holds each verdict once, in its committed form (issue 12).
 * It knows its length and the flagged rows the report shows by name, which
 * the report kept while folding; JSON.stringify lists it whole (toJSON), for
 * small reports and tests; the report's writers stream it.
 */
import type { FlaggedList, VerdictList } from './job-report.js';
import { inKeyOrder } from './outcome-walk.js';
import type { MessageOutcome, OutcomeGroups } from './types.js';

export class ReportVerdicts implements VerdictList {
  constructor(
    private readonly groups: OutcomeGroups,
    private readonly lowestKeys: readonly number[],
    /** How many verdicts a walk lists. */
    readonly length: number,
    /** The spam and unsure messages with the highest scores, and how many there are in all. */
    readonly flagged: FlaggedList,
  ) {}

  *[Symbol.iterator](): Iterator<MessageOutcome> {
    for (const o of inKeyOrder(this.groups, this.lowestKeys)) yield LISTED.has(o) ? o : listedOutcome(o);
  }

  toJSON(): MessageOutcome[] {
    return [...this];
  }
}

/** Outcomes already in report.json's shape: the report lists these objects themselves. */
const LISTED = new WeakSet<MessageOutcome>();

/**
 * An outcome as report.json lists it: a fresh object with the fields in one
 * order, optional ones left out rather than set to undefined, so that it
 * equals its own JSON round trip. Outcome groups built of these (gather.ts
 * builds them) are listed as they are.
 */
export function listedOutcome(o: MessageOutcome): MessageOutcome {
  const { key, batch, processor } = o;
  const label = o.label === undefined ? {} : { label: o.label };
  const names = {
    ...(o.messageId === undefined ? {} : { messageId: o.messageId }),
    ...(o.from === undefined ? {} : { from: o.from }),
    ...(o.subject === undefined ? {} : { subject: o.subject }),
    ...(o.date === undefined ? {} : { date: o.date }),
  };
  const note = o.verdict !== 'failed' && o.note !== undefined ? { note: o.note } : {};
  const listed: MessageOutcome =
    o.verdict === 'failed'
      ? { key, verdict: 'failed', score: null, batch, processor, ...label, reason: o.reason, ...names }
      : { key, verdict: o.verdict, score: o.score, batch, processor, ...label, ...note, ...names };
  LISTED.add(listed);
  return listed;
}
