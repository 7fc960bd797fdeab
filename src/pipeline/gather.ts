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
  type ZkSession,
} from '../coordination/index.js';
import type { BatchCommit, MessageOutcome, ReportInput } from '../report/index.js';
import { decodeBatchResult, type BatchResult } from './batch-result.js';

export async function gatherReportInput(session: ZkSession, root: string, jobId: string): Promise<ReportInput> {
  const [status, batches, done, quarantine, events] = await Promise.all([
    readJobStatus(session, root, jobId),
    readBatches(session, root, jobId),
    readDoneMarkers(session, root, jobId),
    readQuarantine(session, root, jobId),
    readEvents(session, root, jobId),
  ]);
  const byIndex = new Map(batches.map((b) => [b.index, b]));
  const outcomes: MessageOutcome[] = [];
  const commits: BatchCommit[] = [];
  const stalls: Record<string, number> = {};
  for (const marker of done) {
    const result = decodeBatchResult(marker.result);
    outcomes.push(...outcomesOf(marker, result));
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
      createdAt: Math.min(...done.map((d) => d.claimedAt), Date.now()),
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
  const processor = marker.processorId;
  return result.messages.map((m): MessageOutcome => {
    const label = m.label ? { label: m.label } : {};
    if (m.verdict === 'failed') {
      return { key: m.key, batch: marker.batch, processor, verdict: 'failed', reason: m.note ?? 'unknown', ...label };
    }
    return { key: m.key, batch: marker.batch, processor, verdict: m.verdict, score: m.score, ...label, ...(m.note ? { note: m.note } : {}) };
  });
}

function commitOf(marker: DoneMarker, result: BatchResult, batch: Batch | undefined): BatchCommit {
  return {
    batch: marker.batch,
    first: batch?.first ?? result.messages[0]?.key ?? 0,
    last: batch?.last ?? result.messages[result.messages.length - 1]?.key ?? 0,
    messages: result.messages.length,
    processor: marker.processorId,
    claimSeq: marker.claimSeq,
    attempts: marker.attempt,
    committedAt: marker.committedAt,
    durationMs: Math.max(0, marker.committedAt - marker.claimedAt),
  };
}
