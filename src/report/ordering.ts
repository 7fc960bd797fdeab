/**
 * Deterministic order for every list in the report, so that two reports of the
 * same job are byte-identical whatever order ZooKeeper listed children in.
 * Strings compare by code unit, not by locale, for the same reason.
 */
import type { FailedMessage } from './job-report.js';
import type { MessageOutcome } from './types.js';
import type { BatchCommit, FencedCommitEvent, QuarantinedBatch, ReclaimEvent } from './types.js';

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byKey(a: MessageOutcome | FailedMessage, b: MessageOutcome | FailedMessage): number {
  return a.key - b.key || a.batch - b.batch || compareStrings(a.processor, b.processor);
}

export function byBatchThenClaim(a: BatchCommit, b: BatchCommit): number {
  return a.batch - b.batch || a.claimSeq - b.claimSeq || compareStrings(a.processor, b.processor);
}

export function reclaimOrder(a: ReclaimEvent, b: ReclaimEvent): number {
  return a.at - b.at || a.batch - b.batch || compareStrings(a.fromProcessor, b.fromProcessor);
}

export function fencedOrder(a: FencedCommitEvent, b: FencedCommitEvent): number {
  return a.at - b.at || a.batch - b.batch || a.claimSeq - b.claimSeq;
}

export function quarantineOrder(a: QuarantinedBatch, b: QuarantinedBatch): number {
  return a.batch - b.batch || a.attempts - b.attempts;
}
