/**
 * Reads a whole job back from ZooKeeper, from any machine, as the report's
 * input: every committed verdict lives in its batch's done marker, so the
 * report needs no other store and no access to the mailbox.
 */
import {
  JobPaths,
  readBatches,
  readDoneMarkers,
  readEvents,
  readPlan,
  readQuarantine,
  readSpec,
  type Batch,
  type DoneMarker,
  type CoordinationEventRecord,
  type JobSpec,
  type PlanInfo,
  type QuarantineRecord,
  type ZkSession,
} from '../coordination/index.js';
import { listedOutcome, type BatchCommit, type LearnedByRun, type MessageOutcome, type OutcomeGroups, type ReportInput, type VersionUse } from '../report/index.js';
import { decodeBatchResult, type BatchResult } from './batch-result.js';

/** A job's records as ZooKeeper holds them, read as one snapshot (see gatherReportInput). */
export interface JobRecords {
  readonly spec: JobSpec;
  /** The plan, read once: the batch count, readiness and completeness all derive from this one read. */
  readonly plan: PlanInfo;
  readonly batches: readonly Batch[];
  readonly done: readonly DoneMarker[];
  readonly quarantine: readonly QuarantineRecord[];
  readonly events: readonly CoordinationEventRecord[];
}

/**
 * Reads a job as one consistent snapshot while processors may still commit
 * and a cadence may extend the plan. Batches only ever get closed and
 * appended, so the closed ones are listed first and the plan read once after
 * them: every listed done marker or quarantine record then belongs to a batch
 * the plan holds (a batch node exists before it can close), and a batch added
 * or closed after the listing shows as pending, never as closed beyond the plan.
 * (Before, the plan was read twice, once for the count and once for the
 * batches, and the listings came between: an extension in between made a
 * consistent job look inconsistent.)
 */
export async function readJobRecords(session: ZkSession, root: string, jobId: string): Promise<JobRecords> {
  // The plan is read once and everything else is read for its batches:
  // batches only ever close, so records read after the plan can only show
  // more of them closed, never a batch the plan does not have.
  const paths = new JobPaths(root, jobId);
  const [spec, plan] = await Promise.all([readSpec(session, paths), readPlan(session, paths)]);
  const [done, quarantine, batches, events] = await Promise.all([
    readDoneMarkers(session, root, jobId, plan.batchCount),
    readQuarantine(session, root, jobId),
    readBatches(session, root, jobId, plan.batchCount),
    readEvents(session, root, jobId),
  ]);
  // A batch appended after our plan read is not in this snapshot, even if it was quarantined since.
  return { spec, plan, batches, done, quarantine: quarantine.filter((q) => q.batch < plan.batchCount), events };
}

export async function gatherReportInput(session: ZkSession, root: string, jobId: string): Promise<ReportInput> {
  return reportInputFrom(jobId, await readJobRecords(session, root, jobId));
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

/** Pure: the report's input from a job's records (and, from a run with --learn, what it learned). */
export function reportInputFrom(jobId: string, records: JobRecords, learnedByRun?: LearnedByRun): ReportInput {
  const { spec, plan, batches, done, quarantine, events } = records;
  const byIndex = new Map(batches.map((b) => [b.index, b]));
  const commits: BatchCommit[] = [];
  const stalls: Record<string, number> = {};
  const versions = new Map<number, { batches: number; messages: number }>();
  for (const marker of done) {
    const result = decodeBatchResult(marker.result);
    countVersion(versions, result);
    commits.push(commitOf(marker, result, byIndex.get(marker.batch)));
    stalls[marker.processorId] = Math.max(stalls[marker.processorId] ?? 0, result.stallMs);
  }
  const closed = new Set([...done.map((d) => d.batch), ...quarantine.map((q) => q.batch)]);
  let open = 0;
  for (let b = 0; b < plan.batchCount; b++) if (!closed.has(b)) open++;
  return {
    job: {
      jobId,
      source: spec.sourceId,
      modelId: spec.modelId,
      batchSize: spec.batchSize,
      batches: plan.batchCount,
      // A loop, not Math.min(...array): spreading ~125k+ arguments throws RangeError.
      createdAt: done.reduce((min, d) => (d.claimedAt < min ? d.claimedAt : min), Date.now()),
      complete: plan.ready && open === 0,
      expectedMessages: batches.reduce((sum, b) => sum + b.count, 0),
      ...namesOf(spec.display),
    },
    outcomes: outcomesOfMarkers(done),
    commits,
    reclaims: events
      .filter((e) => e.type === 'reclaimed')
      .map((e) => ({ batch: e.batch, fromProcessor: e.otherProcessorId ?? '', byProcessor: e.processorId, reason: e.detail, at: e.at })),
    fencedCommits: events
      .filter((e) => e.type === 'fenced')
      .map((e) => ({ batch: e.batch, processor: e.processorId, claimSeq: e.claimSeq, at: e.at })),
    unknownCommits: events
      .filter((e) => e.type === 'unknown')
      .map((e) => ({ batch: e.batch, processor: e.processorId, claimSeq: e.claimSeq, at: e.at, detail: e.detail })),
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
    ...learningOf(versions, learnedByRun),
  };
}

function countVersion(versions: Map<number, { batches: number; messages: number }>, result: BatchResult): void {
  const v = result.modelVersion ?? 0;
  const seen = versions.get(v) ?? { batches: 0, messages: 0 };
  versions.set(v, { batches: seen.batches + 1, messages: seen.messages + result.messages.length });
}

/** The report's learning section: only when a learned version was used or the run learned (a plain job's report is unchanged). */
function learningOf(versions: Map<number, { batches: number; messages: number }>, run: LearnedByRun | undefined): Pick<ReportInput, 'learning'> {
  const learnedUsed = [...versions.keys()].some((v) => v > 0);
  if (!learnedUsed && !run) return {};
  const versionsUsed: VersionUse[] = [...versions].map(([version, n]) => ({ version, ...n })).sort((a, b) => a.version - b.version);
  return { learning: { versionsUsed, ...(run ? { run } : {}) } };
}

/** A job planned before names were recorded has none; the report then shows the hashes alone. */
function namesOf(display: Record<string, string> | undefined): Pick<ReportInput['job'], 'sourceName' | 'modelName' | 'cutoffs'> {
  if (!display) return {};
  const ham = Number(display.hamCutoff);
  const spam = Number(display.spamCutoff);
  return {
    ...(display.source ? { sourceName: display.source } : {}),
    ...(display.model ? { modelName: display.model } : {}),
    ...(Number.isFinite(ham) && Number.isFinite(spam) && display.hamCutoff && display.spamCutoff ? { cutoffs: { ham, spam } } : {}),
  };
}

/**
 * The job's outcomes as one group per done marker, decoded from the marker's
 * compressed result each time the report walks them: the done markers (about
 * 67 bytes a message) are the one copy of the verdicts the report holds.
 */
function outcomesOfMarkers(done: readonly DoneMarker[]): OutcomeGroups {
  return { groupCount: done.length, group: (i) => outcomesOf(done[i]!, decodeBatchResult(done[i]!.result)) };
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
