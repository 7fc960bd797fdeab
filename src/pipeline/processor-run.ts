/**
 * One processor of the fleet: it joins the job (planning it if it is first),
 * then claims batches, fetches and classifies them, and commits the verdicts
 * inside the done marker, until the job is complete. `spamzk replay` and
 * `spamzk run` start N of these as child processes; each is also what a
 * machine of a fleet runs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Processor, type WorkContext, type Batch, type JobSpec, type RunSummary, type ZkAuth } from '../coordination/index.js';
import { SpamModel } from '../classifier/index.js';
import { checkWriteBack, openSource, SourceAbortedError, SourceError, writeBackVerdicts, type MailSource } from '../sources/index.js';
import { countVerdicts, type ProcessorMetrics } from '../metrics/index.js';
import { encodeBatchResult, type BatchResult } from './batch-result.js';
import type { ProcessorRunSummary } from './child-protocol.js';
import { classifyBatch } from './classify-batch.js';
import { fleetCapFor } from './imap-cap.js';
import { jobDisplayFor, jobSpecFor } from './job-identity.js';
import { followModel, type ModelSource } from './learning/follower.js';
import { applyControl } from './live-settings.js';
import { MovesAfterCommit } from './moves.js';
import { planBatchesFrom } from './plan.js';
import type { Logger, ProcessorSettings } from './settings.js';
import { sourceOptionsFrom } from './source-options.js';
import { StallMonitor } from './stall-monitor.js';
import { watchForWedge } from './wedge-watch.js';

export interface ProcessorRunInput {
  readonly settings: ProcessorSettings;
  /** The fleet's ZooKeeper credentials, when its znodes are ACL-protected. */
  readonly auth?: ZkAuth;
  readonly log: Logger;
  /** Aborting it drains: the batch in hand is finished (or released), then run() resolves. */
  readonly drainSignal?: AbortSignal;
  /** The job the fleet is working on: a source that now makes another job (new UIDVALIDITY) is refused. */
  readonly expectedJobId?: string;
  /** Fed with this processor's events and batch timings; bound to its job once it is known. */
  readonly metrics?: ProcessorMetrics;
  /** The parent's saved scan of a fixture source: read instead of scanning the mailbox (a processor's memory stays flat). */
  readonly fixtureIndex?: string;
}

const SOURCE_CLOSE_GRACE_MS = 5_000;

/** The mailbox is no longer the one the job was planned from: its numbering changed. */
export class SourceChangedError extends Error {
  readonly code = 'SOURCE_CHANGED';
  constructor(message: string) {
    super(message);
    this.name = 'SourceChangedError';
  }
}

export async function runProcessor(input: ProcessorRunInput): Promise<ProcessorRunSummary> {
  const { settings, log } = input;
  const model = SpamModel.load(settings.model);
  // Made first (it has no side effects) so that its id can name our IMAP connection leases.
  const processor = new Processor({
    connectString: settings.connectString,
    root: settings.zkRoot,
    ...(input.auth ? { auth: input.auth } : {}),
    sessionTimeoutMs: settings.sessionTimeoutMs,
    staleAfterMs: settings.staleAfterMs,
    maxAttempts: settings.maxAttempts,
  });
  const cap = fleetCapFor(settings, input.auth, processor.processorId);
  const source = openSource(settings.source, { ...sourceOptionsFrom(settings, log, cap), ...(input.fixtureIndex ? { index: input.fixtureIndex } : {}) });
  const stalls = new StallMonitor();
  let moves: MovesAfterCommit | undefined;
  let models: ModelSource | undefined;
  try {
    const identity = await source.open();
    if (input.fixtureIndex) log.info({ index: input.fixtureIndex }, 'reading the fixture from the scan its run saved, not scanning it again');
    // Before any batch is claimed: a write-back that can never succeed stops here (JunkMailboxError, exit 3).
    await checkWriteBack(source, settings.writeBack);
    const spec = jobSpecFor(identity.id, identity.uidValidity, model.id, settings.batchSize, undefined, jobDisplayFor(settings.source, settings.model, model));
    if (input.expectedJobId !== undefined && spec.jobId !== input.expectedJobId) {
      throw new SourceChangedError(
        `${identity.id} is not the mailbox job ${input.expectedJobId} was planned from (its UIDVALIDITY or the model changed): start a new job`,
      );
    }
    logProcessorEvents(processor, log.child({ processor: processor.processorId, job: spec.jobId }));
    // Live control (pause, drain, IMAP limits): applied synchronously, then acknowledged in ZooKeeper by the processor.
    processor.on('control', (control) => void applyControl(control, source, log.child({ processor: processor.processorId, job: spec.jobId })));
    input.metrics?.bind({ job: spec.jobId, processor: processor.processorId, modelId: model.id });
    input.metrics?.watch(processor);
    moves = settings.writeBack === 'move' ? new MovesAfterCommit(source, log).follow(processor) : undefined;
    // With --learn, batches are classified with the fleet's current model version; the job stays the base model's.
    models = await followModel(settings, model, log, input.auth);
    stalls.start();
    const summary = await runToCompletion(processor, input, { spec, source, models, stalls, moves });
    return { ...summary, longestStallMs: Math.round(stalls.longestStallMs) };
  } finally {
    stalls.close();
    await models?.close();
    await moves?.settle();
    // A wedged source may never finish closing either; the process is about to end.
    await Promise.race([source.close(), sleep(SOURCE_CLOSE_GRACE_MS, undefined, { ref: false })]);
    await cap?.close();
  }
}

interface Job {
  spec: JobSpec;
  source: MailSource;
  models: ModelSource;
  stalls: StallMonitor;
  /** With writeBack 'move': holds each batch's spam until its commit. */
  moves: MovesAfterCommit | undefined;
}

async function runToCompletion(processor: Processor, input: ProcessorRunInput, job: Job): Promise<RunSummary> {
  const { settings, log } = input;
  const onDrain = (): void => void processor.drain(settings.staleAfterMs).catch((err: unknown) => log.error({ err }, 'drain failed'));
  input.drainSignal?.addEventListener('abort', onDrain, { once: true });
  // Two things end this processor's part in the job. A failure of the mailbox
  // itself (isSourceFailure below). A wedged source (wedge-watch.ts): only a
  // fresh process, which the fleet starts in its place, gets a fresh one.
  let fatal: Error | undefined;
  const stopWith = (err: Error): void => {
    fatal ??= err;
    void processor.close();
  };
  try {
    const deps: BatchDeps = { ...job, settings, stopWith, ...(input.metrics ? { metrics: input.metrics } : {}) };
    const summary = await processor.run(
      { spec: job.spec, plan: async (from) => planBatchesFrom(await job.source.listKeys(), settings.batchSize, from) },
      (batch, ctx) => processBatch(batch, ctx, deps),
    );
    if (fatal) throw fatal;
    return summary;
  } finally {
    input.drainSignal?.removeEventListener('abort', onDrain);
  }
}

interface BatchDeps {
  source: MailSource;
  models: ModelSource;
  stalls: StallMonitor;
  settings: ProcessorSettings;
  stopWith: (err: Error) => void;
  metrics?: ProcessorMetrics;
  /** With writeBack 'move': holds each batch's spam until its commit. */
  moves: MovesAfterCommit | undefined;
}

async function processBatch(batch: Batch, ctx: WorkContext, deps: BatchDeps): Promise<Buffer> {
  const settled = watchForWedge(ctx.signal, deps.stopWith);
  try {
    return await classifyAndEncode(batch, ctx, deps);
  } catch (err) {
    if (isSourceFailure(err)) deps.stopWith(err);
    throw err;
  } finally {
    settled();
  }
}

/**
 * The mailbox itself failed, not this batch: the server stayed unreachable
 * through the source's own retries, refused the login, lost the mailbox, or
 * renumbered it (UIDVALIDITY). Counted as the batch's failed attempt, an
 * outage would push healthy batches into quarantine one after another. So the
 * processor stops instead: stopWith closes it at once, which releases the
 * claim uncounted, and the error names the server (exit code 3); a rerun
 * resumes the job where it stopped.
 */
function isSourceFailure(err: unknown): err is SourceError {
  return err instanceof SourceError && !(err instanceof SourceAbortedError);
}

async function classifyAndEncode(batch: Batch, ctx: WorkContext, deps: BatchDeps): Promise<Buffer> {
  const pinned = deps.models.pin(); // one model version for the whole batch
  const result = await classifyBatch(batch, {
    source: deps.source,
    classifier: pinned.classifier,
    signal: ctx.signal,
    // A rejected heartbeat means the claim is gone; ctx.signal aborts this
    // batch on the same event, so the rejection itself carries no news.
    onProgress: (stage, done) => void ctx.heartbeat(`${stage} ${done}/${batch.count}`).catch(() => undefined),
    stallMs: () => deps.stalls.takeWindowMaxMs(),
  });
  deps.metrics?.batchWorked(batch.index, ctx.claimSeq, { fetchMs: result.fetchMs, classifyMs: result.classifyMs, verdicts: countVerdicts(result.messages) });
  ctx.signal.throwIfAborted();
  if (deps.settings.writeBack === 'keywords') await setKeywords(deps.source, result);
  // A move waits for the commit (moves.ts): never for a verdict that is not the job's.
  if (deps.moves) deps.moves.hold(batch.index, ctx.claimSeq, result.messages.filter((m) => m.verdict === 'spam').map((m) => m.key));
  return encodeBatchResult({ ...result, modelVersion: pinned.version });
}

/**
 * Keywords are idempotent, so a batch that is retried after a crash sets them
 * again harmlessly, and a fenced processor's keywords are the same model's
 * verdicts on the same bytes; they are set before the commit, so a committed
 * batch always has them (docs/design.md, "Write-back").
 */
async function setKeywords(source: MailSource, result: BatchResult): Promise<void> {
  const verdicts = result.messages.flatMap((m) =>
    m.verdict === 'spam' || m.verdict === 'ham' ? [{ key: m.key, label: m.verdict }] : [],
  );
  if (verdicts.length > 0) await writeBackVerdicts(source, verdicts);
}

function logProcessorEvents(processor: Processor, log: Logger): void {
  processor.on('sessionStarted', (e) => log.info(e, 'ZooKeeper session started'));
  processor.on('sessionLost', (e) => log.warn({ err: e.error.message }, 'ZooKeeper session lost: batch in hand aborted'));
  processor.on('committed', (e) => log.debug({ batch: e.batch.index, attempt: e.attempt, workMs: e.workMs }, 'batch committed'));
  processor.on('fenced', (e) => log.warn(e, 'commit fenced out: another processor owns the batch'));
  processor.on('reclaimed', (e) => log.warn(e, 'reclaimed a stale claim'));
  processor.on('failed', (e) => log.warn(e, 'batch attempt failed'));
  processor.on('quarantined', (e) => log.error(e, 'batch quarantined'));
  processor.on('warning', (e) => log.warn({ err: e.error instanceof Error ? e.error.message : e.error }, e.message));
}
