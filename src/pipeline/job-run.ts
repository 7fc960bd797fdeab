/**
 * `spamzk replay` and `spamzk run`, as a library: everything one invocation
 * does once the CLI has resolved its settings and found a ZooKeeper.
 *
 *   1. validate: the model loads, the source opens (before any work starts);
 *   2. open the job (plan it if this invocation is first; join it otherwise);
 *   3. run N local processors until the job is complete; with a cadence,
 *      turn new mail into new batches of the same job and go again;
 *   4. read the whole job back from ZooKeeper and write the report.
 *
 * Several invocations with the same source and model, on one machine or many,
 * join the same job and share its batches.
 */
import { join } from 'node:path';
import { SpamModel } from '../classifier/index.js';
import { extendJob, jobSettingsOf, openJob, readBatches, readJobStatus, ZkSession, type JobStatus, type ZkAuth } from '../coordination/index.js';
import { buildReport, writeReportFiles, type JobReport, type ReportFiles } from '../report/index.js';
import { delay } from '../shared/index.js';
import { openSource, type MailSource, type SourceIdentity } from '../sources/index.js';
import { LocalFleet, type FleetOutcome } from './fleet.js';
import { gatherReportInput } from './gather.js';
import { jobSpecFor } from './job-identity.js';
import { startLearning, type LearningRun, type LearningSummary } from './learning/run-learning.js';
import { planBatches, planBatchesFrom } from './plan.js';
import type { JobSettings, Logger } from './settings.js';
import { sourceOptionsFrom } from './source-options.js';

export interface JobRunInput {
  readonly settings: JobSettings;
  /** The fleet's ZooKeeper credentials, when its znodes are ACL-protected (children read theirs from the inherited environment). */
  readonly auth?: ZkAuth;
  readonly log: Logger;
  /** Shows the job's progress while local processors run (the CLI draws a bar or logs lines). */
  readonly progress?: ProgressDisplay;
  /** Aborting it drains the local processors and ends the run early. */
  readonly signal?: AbortSignal;
  /** With a cadence: stop after this many passes (default: until interrupted). */
  readonly passes?: number;
}

export interface ProgressWatch {
  stop(): Promise<void>;
}

/** Given a job and a reader of its status (the whole fleet's, from ZooKeeper), shows progress until stopped. */
export interface ProgressDisplay {
  watch(jobId: string, readStatus: () => Promise<JobStatus>): ProgressWatch;
}

export interface JobRunOutcome {
  readonly jobId: string;
  readonly report: JobReport;
  readonly files: ReportFiles;
  readonly fleets: FleetOutcome[];
  readonly interrupted: boolean;
  /** With --learn: the model versions used, the corrections learned, the head. */
  readonly learning?: LearningSummary;
}

export async function runJob(input: JobRunInput): Promise<JobRunOutcome> {
  const { settings, log } = input;
  const model = SpamModel.load(settings.model);
  const identity = await withSource(input, async (_, id) => id);
  // Job-wide, recorded in the spec when the job is created (the job's values win for every member).
  const jobWide = jobSettingsOf({ staleAfterMs: settings.staleAfterMs, maxAttempts: settings.maxAttempts });
  const spec = jobSpecFor(identity.id, identity.uidValidity, model.id, settings.batchSize, jobWide);
  log.info({ job: spec.jobId, source: identity.id, model: model.id }, 'job identified');

  const session = new ZkSession({
    connectString: settings.connectString,
    sessionTimeoutMs: settings.sessionTimeoutMs,
    ...(input.auth ? { auth: input.auth } : {}),
  });
  let learning: LearningRun | undefined;
  try {
    await session.start();
    await openJob(session, settings.zkRoot, spec, (from) => withSource(input, async (s) => planBatchesFrom(await s.listKeys(), settings.batchSize, from)));
    const fleets: FleetOutcome[] = [];
    // The job keeps the base model's id; learning only moves the model head (docs/design.md).
    learning = await startLearning(settings, session, model.id, log);
    for (let pass = 1; ; pass++) {
      await learning?.pass(spec.jobId); // corrections made since the last pass, learned before this one
      fleets.push(await runLocalFleet(input, session, spec.jobId));
      if (settings.everyMs === undefined || input.signal?.aborted || pass === input.passes) break;
      await delay(settings.everyMs, input.signal);
      if (input.signal?.aborted) break;
      await planNewMail(input, session, spec.jobId, identity);
    }
    const report = buildReport(await gatherReportInput(session, settings.zkRoot, spec.jobId));
    const files = await writeReportFiles(report, settings.reportDir ?? join('reports', spec.jobId));
    const learned = await learning?.summary(spec.jobId);
    return { jobId: spec.jobId, report, files, fleets, interrupted: input.signal?.aborted ?? false, ...(learned ? { learning: learned } : {}) };
  } finally {
    await learning?.close();
    await session.close();
  }
}

async function runLocalFleet(input: JobRunInput, session: ZkSession, jobId: string): Promise<FleetOutcome> {
  const { settings } = input;
  const fleet = new LocalFleet({ processors: settings.processors, settings, jobId, log: input.log, childLogLevel: settings.childLogLevel });
  const onAbort = (): void => fleet.drain();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  const progress = input.progress?.watch(jobId, () => readJobStatus(session, settings.zkRoot, jobId));
  try {
    return await fleet.run();
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    await progress?.stop();
  }
}

/** The cadence: keys above the last planned one become new batches of the job. */
async function planNewMail(input: JobRunInput, session: ZkSession, jobId: string, identity: SourceIdentity): Promise<void> {
  const { settings, log } = input;
  const batches = await readBatches(session, settings.zkRoot, jobId);
  const lastKey = batches.reduce((max, b) => Math.max(max, b.last), 0);
  const fresh = await withSource(input, async (s, now) => {
    // A changed UIDVALIDITY is a new numbering, hence a new identity: never
    // mix two numberings in one job.
    if (now.id !== identity.id) throw new Error(`the source changed identity (${identity.id} -> ${now.id}); start a new job`);
    return s.listKeysAfter(lastKey);
  });
  if (fresh.length === 0) return;
  const plan = await extendJob(session, settings.zkRoot, jobId, planBatches(fresh, settings.batchSize, batches.length));
  log.info({ job: jobId, newMessages: fresh.length, batches: plan.batchCount }, 'new mail planned');
}

/** Opens the source for one use and closes it: planning and the cadence touch it briefly. */
async function withSource<T>(input: JobRunInput, use: (source: MailSource, identity: SourceIdentity) => Promise<T>): Promise<T> {
  const source = openSource(input.settings.source, sourceOptionsFrom(input.settings, input.log));
  try {
    return await use(source, await source.open());
  } finally {
    await source.close();
  }
}
