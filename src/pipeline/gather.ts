/**
 * Reads a whole job back from ZooKeeper, from any machine, as the report's
 * input: every committed verdict lives in its batch's done marker, so the
 * report needs no other store and no access to the mailbox.
 */
import {
  readBatches,
  readDoneMarkers,
  readEvents,
  readJobStatus,
  readQuarantine,
  type Batch,
  type DoneMarker,
  type CoordinationEventRecord,
  type JobStatus,
  type QuarantineRecord,
  type ZkSession,
} from '../coordination/index.js';
import { listedOutcome, type BatchCommit, type MessageOutcome, type ReportInput } from '../report/index.js';
import { decodeBatchResult, type BatchResult } from './batch-result.js';

/** A job's records as ZooKeeper holds them. */
export interface JobRecords {
  readonly status: JobStatus;
  readonly batches: readonly Batch[];
  readonly done: readonly DoneMarker[];
  readonly quarantine: readonly QuarantineRecord[];
  readonly events: readonly CoordinationEventRecord[];
}

export async function gatherReportInput(session: ZkSession, root: string, jobId: string): Promise<ReportInput> {
  const [status, batches, done, quarantine, events] = await Promise.all([
    readJobStatus(session, root, jobId),
    readBatches(session, root, jobId),
    readDoneMarkers(session, root, jobId),
    readQuarantine(session, root, jobId),
    readEvents(session, root, jobId),
  ]);
  return reportInputFrom(jobId, { status, batches, done, quarantine, events });
}

/** The commits of a job so far (what `spamzk status` measures throughput from). */
export async function readBatchCommits(session: ZkSession, root: string, jobId: string): Promise<BatchCommit[]> {
  const [batches, done] = await Promise.all([readBatches(session, root, jobId), readDoneMarkers(session, root, jobId)]);
  return commitsOf(done, batches);
}

/** The commits that done markers record; without the batch nodes, a batch's size is its outcomes' count. */
export function commitsOf(done: readonly DoneMarker[], batches: readonly Batch[] = []): BatchCommit[] {
  const byIndex = new Map(batches.map((b) => [b.index, b]));
  return done.map((marker) => commitOf(marker, decodeBatchResult(marker.result), byIndex.get(marker.batch)));
}

/** Pure: the report's input from a job's records. */
export function reportInputFrom(jobId: string, records: JobRecords): ReportInput {
  const { status, batches, done, quarantine, events } = records;
  const byIndex = new Map(batches.map((b) => [b.index, b]));
  const outcomes: MessageOutcome[] = [];
  const commits: BatchCommit[] = [];
  const stalls: Record<string, number> = {};
  for (const marker of done) {
    const result = decodeBatchResult(marker.result);
    for (const o of outcomesOf(marker, result)) outcomes.push(o); // no spread: a batch may hold more than the stack allows
    commits.push(commitOf(marker, result, byIndex.get(marker.batch)));
    stalls[marker.processorId] = Math.max(stalls[marker.processorId] ?? 0, result.stallMs);
  }
  return {
    job: {
      jobId,
      source: status.spec.sourceId,
      modelId: status.spec.modelId,
      batchSize: status.spec.batchSize,
      batches: status.batchCount,
      // A loop, not Math.min(...array): spreading ~125k+ arguments throws RangeError.
      createdAt: done.reduce((min, d) => (d.claimedAt < min ? d.claimedAt : min), Date.now()),
      complete: status.complete,
      expectedMessages: batches.reduce((sum, b) => sum + b.count, 0),
    },
    outcomes,
    commits,
    reclaims: events
      .filter((e) => e.type === 'reclaimed')
      .map((e) => ({ batch: e.batch, fromProcessor: e.otherProcessorId ?? '', byProcessor: e.processorId, reason: e.detail, at: e.at })),
    fencedCommits: events
      .filter((e) => e.type === 'fenced')
      .map((e) => ({ batch: e.batch, processor: e.processorId, claimSeq: e.claimSeq, at: e.at })),
    quarantined: quarantine.map((q) => {
      const b = byIndex.get(q.batch);
      return {
        batch: q.batch,
        first: b?.first ?? 0,
        last: b?.last ?? 0,
        ...(b ? { messages: b.count } : {}),
        attempts: q.attempts,
        lastError: q.lastError,
        processor: q.processorId,
        at: q.at,
      };
    }),
    eventLoopStallMs: stalls,
  };
}

/**
 * Messages the plan counted but the source no longer returned (expunged
 * between planning and fetching) have no key to name: the report's integrity
 * check compares the counts and says how many are missing.
 */
function outcomesOf(marker: DoneMarker, result: BatchResult): MessageOutcome[] {
  return result.messages.map((m): MessageOutcome => listedOutcome({ ...m, batch: marker.batch, processor: marker.processorId }));
}

function commitOf(marker: DoneMarker, result: BatchResult, batch: Batch | undefined): BatchCommit {
  return {
    batch: marker.batch,
    first: batch?.first ?? result.messages[0]?.key ?? 0,
    last: batch?.last ?? result.messages[result.messages.length - 1]?.key ?? 0,
    // The plan's count, not the result's own length: the integrity check
    // compares the outcomes with it, so a batch that lost messages shows.
    // (A batch node always exists before its done marker can be created.)
    messages: batch?.count ?? result.messages.length,
    processor: marker.processorId,
    claimSeq: marker.claimSeq,
    attempts: marker.attempt,
    committedAt: marker.committedAt,
    durationMs: Math.max(0, marker.committedAt - marker.claimedAt),
  };
}
