/**
 * `spamzk replay` and `spamzk run`, as a library: everything one invocation
 * does once the CLI has resolved its settings and found a ZooKeeper.
 *
 *   1. validate: the model loads, the source opens (before any work starts);
 *   2. open the job (plan it if this invocation is first; join it otherwise);
 *   3. plan the mail that arrived since (a rerun of a finished job), run N
 *      local processors until the job is complete; with a cadence, turn new
 *      mail into new batches of the same job and go again;
 *   4. read the whole job back from ZooKeeper and write the report.
 *
 * Several invocations with the same source and model, on one machine or many,
 * join the same job and share its batches. The invocation's own ZooKeeper
 * session is renewed when lost (job-session.ts): a cadence run outlives
 * ZooKeeper outages as it outlives IMAP ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpamModel } from '../classifier/index.js';
import { jobSettingsOf, openJob, readJobStatus, type JobStatus, type PlanFrom, type ZkAuth } from '../coordination/index.js';
import { allOutcomes, buildReport, writeReportFiles, type JobReport, type LearnedByRun, type ReportFiles, type ReportInput, type SourceCount } from '../report/index.js';
import { delay } from '../shared/index.js';
import { checkWriteBack, isImapLocation, openSource, saveSourceIndex, type MailSource, type SourceIdentity } from '../sources/index.js';
import { planNewMail, type NewMailPlan } from './cadence.js';
import { LocalFleet, type FleetOutcome } from './fleet.js';
import { completePendingMoves } from './moves.js';
import { readJobRecords, reportInputFrom } from './gather.js';
import { fleetCapFor } from './imap-cap.js';
import { jobDisplayFor, jobSpecFor, type JobDisplay } from './job-identity.js';
import { JobSession } from './job-session.js';
import { startLearning, type LearningRun, type LearningSummary } from './learning/run-learning.js';
import { planBatchesFrom } from './plan.js';
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
  /** The exact command that resumes this job (the CLI's own command line); a report of an unfinished job shows it. */
  readonly resumeCommand?: string;
}

export interface ProgressWatch {
  stop(): Promise<void>;
}

/** Given a job and a reader of its status (the whole fleet's, from ZooKeeper), shows progress until stopped. */
export interface ProgressDisplay {
  watch(jobId: string, readStatus: () => Promise<JobStatus>): ProgressWatch;
}

export interface JobRunOutcome {
  readonly kind: 'finished';
  readonly jobId: string;
  readonly report: JobReport;
  readonly files: ReportFiles;
  readonly fleets: FleetOutcome[];
  readonly interrupted: boolean;
  /** With --learn: the model versions used, the corrections learned, the head. */
  readonly learning?: LearningSummary;
}

/**
 * The job's control said `draining` (spamzk drain): every local processor
 * finished the batch in hand and stopped; the job is unfinished and resumable
 * (spamzk resume, then the same command again). No report is written.
 */
export interface DrainedRun {
  readonly kind: 'drained';
  readonly jobId: string;
  readonly fleets: FleetOutcome[];
  readonly status: JobStatus;
}

/** The run's input, with where its scans of a fixture are saved for its processors. */
type RunInput = JobRunInput & { readonly fixtureIndex?: string };

export async function runJob(given: JobRunInput): Promise<JobRunOutcome | DrainedRun> {
  // A fixture is scanned here, and each scan saved for the processors, which
  // then read only the entries of their batches (index-file.ts): a processor's
  // memory does not grow with the mailbox. An IMAP mailbox lists its own UIDs.
  const indexDir = isImapLocation(given.settings.source) ? undefined : mkdtempSync(join(tmpdir(), 'spamzk-index-'));
  try {
    return await runIndexedJob(indexDir ? { ...given, fixtureIndex: join(indexDir, 'fixture.idx') } : given);
  } finally {
    if (indexDir) rmSync(indexDir, { recursive: true, force: true });
  }
}

async function runIndexedJob(given: RunInput): Promise<JobRunOutcome | DrainedRun> {
  // Loaded to validate it and take what the job records of it; the parent
  // classifies nothing, so it keeps no reference to the model (memory).
  const model = modelFacts(given.settings.source, given.settings.model);
  // Before any work: the source opens, and a write-back that can never
  // succeed (no Junk mailbox for 'move') stops the run here, once (exit 3),
  // instead of failing every processor that would claim a batch.
  const { identity, junkMailbox } = await withSource(given, async (s, id) => ({ identity: id, junkMailbox: await checkWriteBack(s, given.settings.writeBack) }), 'save scan');
  // Every processor moves spam to the same mailbox, the one found here.
  const input = junkMailbox ? { ...given, settings: { ...given.settings, junkMailbox } } : given;
  const { settings, log } = input;
  if (junkMailbox) log.info({ junkMailbox }, 'spam is moved to this mailbox once its verdict is committed');
  // Job-wide, recorded in the spec when the job is created (the job's values win for every member).
  const jobWide = jobSettingsOf({ staleAfterMs: settings.staleAfterMs, maxAttempts: settings.maxAttempts });
  const spec = jobSpecFor(identity.id, identity.uidValidity, model.id, settings.batchSize, jobWide, model.display);
  log.info({ job: spec.jobId, source: identity.id, model: model.id }, 'job identified');

  const sessions = new JobSession({
    connectString: settings.connectString,
    sessionTimeoutMs: settings.sessionTimeoutMs,
    log,
    ...(input.auth ? { auth: input.auth } : {}),
  });
  let learning: LearningRun | undefined;
  try {
    const planner = (from: PlanFrom) => withSource(input, async (s) => planBatchesFrom(await s.listKeys(), settings.batchSize, from), 'save scan');
    const opened = await sessions.run('opening the job', (s) => openJob(s, settings.zkRoot, spec, planner, input.signal), input.signal);
    // A finished job run again (cron) must take in the mail that arrived since, as a pass of --every does.
    if (!opened.planned) await planNewMail(sessions, newMailOf(input, spec.jobId, identity));
    const fleets: FleetOutcome[] = [];
    // The job keeps the base model's id; learning only moves the model head (docs/design.md).
    learning = await startLearning(settings, sessions, model.id, log);
    for (let pass = 1; ; pass++) {
      await learning?.pass(spec.jobId); // corrections made since the last pass, learned before this one
      const fleet = await runLocalFleet(input, sessions, spec.jobId);
      fleets.push(fleet);
      log.info({ job: spec.jobId, pass }, 'pass finished');
      if (fleet.summaries.some((x) => x.drained === true)) {
        const status = await sessions.run('reading the job', (s) => readJobStatus(s, settings.zkRoot, spec.jobId), input.signal);
        if (!status.complete) return { kind: 'drained', jobId: spec.jobId, fleets, status };
      }
      if (settings.everyMs === undefined || input.signal?.aborted || pass === input.passes) break;
      await delay(settings.everyMs, input.signal);
      if (input.signal?.aborted) break;
      await planNewMail(sessions, newMailOf(input, spec.jobId, identity));
    }
    const learned = await learning?.summary(spec.jobId);
    const report = buildReport(await reportInput(input, sessions, spec.jobId, learned));
    const files = await writeReportFiles(report, settings.reportDir ?? join('reports', spec.jobId));
    return { kind: 'finished', jobId: spec.jobId, report, files, fleets, interrupted: input.signal?.aborted ?? false, ...(learned ? { learning: learned } : {}) };
  } finally {
    await learning?.close();
    await sessions.close();
  }
}

async function runLocalFleet(input: RunInput, sessions: JobSession, jobId: string): Promise<FleetOutcome> {
  const { settings } = input;
  const metrics = settings.metrics ? { metrics: settings.metrics } : {};
  const index = input.fixtureIndex ? { fixtureIndex: input.fixtureIndex } : {};
  const fleet = new LocalFleet({ processors: settings.processors, settings, jobId, log: input.log, childLogLevel: settings.childLogLevel, ...metrics, ...index });
  const onAbort = (): void => fleet.drain();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  // Each poll takes the live session, so the display recovers after an outage (a failed poll is skipped).
  const progress = input.progress?.watch(jobId, async () => readJobStatus(await sessions.session(), settings.zkRoot, jobId));
  try {
    return await fleet.run();
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    await progress?.stop();
  }
}

/** The job as ZooKeeper holds it (one snapshot), with the source as it is now and the command that resumes the job. */
async function reportInput(input: JobRunInput, sessions: JobSession, jobId: string, learned?: LearningSummary): Promise<ReportInput> {
  const moving = input.settings.writeBack === 'move';
  // Without moves to finish, the mailbox is listed before the job's records
  // are read: a fixture's scan peaks at hundreds of MB for a million files,
  // and so its memory is free again before the records arrive (the parent's
  // peak is the larger of the two, not their sum).
  const listed = moving ? undefined : await listSourceNow(input);
  const records = await sessions.run('reading the report', (s) => readJobRecords(s, input.settings.zkRoot, jobId));
  const gathered = reportInputFrom(jobId, records, learned ? learnedOf(learned) : undefined);
  const lastPlanned = records.batches.reduce((max, b) => Math.max(max, b.last), 0);
  let pendingMoves: number | undefined;
  const now =
    listed ??
    (await listSourceNow(input, async (s, keys) => {
      const done = await completePendingMoves(s, allOutcomes(gathered.outcomes), keys, input.log);
      pendingMoves = done.pending;
      return done.keys;
    }));
  const sourceNow: SourceCount = 'error' in now ? { reachable: false, error: now.error } : { reachable: true, messages: now.keys.length, notPlanned: now.keys.filter((k) => k > lastPlanned).length };
  const moves = moving && input.settings.junkMailbox ? { moves: { junkMailbox: input.settings.junkMailbox, ...(pendingMoves === undefined ? {} : { pending: pendingMoves }) } } : {};
  return { ...gathered, job: { ...gathered.job, sourceNow, ...moves, ...(input.resumeCommand ? { resumeCommand: input.resumeCommand } : {}) } };
}

/** The mailbox's keys as they are now (after `settle`, e.g. the pending moves), or why it could not be listed. */
async function listSourceNow(
  input: JobRunInput,
  settle?: (source: MailSource, keys: number[]) => Promise<number[]>,
): Promise<{ keys: number[] } | { error: string }> {
  return withSource(input, async (s) => {
    const keys = await s.listKeys();
    return { keys: settle ? await settle(s, keys) : keys };
  }).catch((err: unknown) => ({ error: (err as Error).message }));
}

/** The cadence's view of the source: keys above the last planned one, from a source that must still be the job's. */
function newMailOf(input: RunInput, jobId: string, identity: SourceIdentity): NewMailPlan {
  const { settings, log } = input;
  return {
    root: settings.zkRoot,
    jobId,
    batchSize: settings.batchSize,
    log,
    ...(input.signal ? { signal: input.signal } : {}),
    listKeysAfter: (lastKey) =>
      withSource(input, async (s, now) => {
        // A changed UIDVALIDITY is a new numbering, hence a new identity: never
        // mix two numberings in one job.
        if (now.id !== identity.id) throw new Error(`the source changed identity (${identity.id} -> ${now.id}); start a new job`);
        return s.listKeysAfter(lastKey);
      }),
  };
}

/**
 * Opens the source for one use and closes it: planning and the cadence touch
 * it briefly. The scans that plans are made from are saved for the
 * processors, so the index they read is that of the latest plan.
 */
async function withSource<T>(input: RunInput, use: (source: MailSource, identity: SourceIdentity) => Promise<T>, save: 'save scan' | 'read only' = 'read only'): Promise<T> {
  // Under the fleet-wide IMAP cap too: another machine's processors may hold the other places.
  const cap = fleetCapFor(input.settings, input.auth, `run.${process.pid}`);
  const source = openSource(input.settings.source, sourceOptionsFrom(input.settings, input.log, cap));
  try {
    const identity = await source.open();
    if (save === 'save scan' && input.fixtureIndex) saveSourceIndex(source, input.fixtureIndex);
    return await use(source, identity);
  } finally {
    await source.close();
    await cap?.close();
  }
}

/** The model's id and display names; the model itself is dropped once they are taken. */
function modelFacts(source: string, modelPath: string | undefined): { id: string; display: JobDisplay } {
  const model = SpamModel.load(modelPath);
  return { id: model.id, display: jobDisplayFor(source, modelPath, model) };
}

/** What the report says of this run's learning: the head it ended at and the corrections this member learned. */
function learnedOf(summary: LearningSummary): LearnedByRun {
  return {
    headVersion: summary.head.version,
    headLearned: { ...summary.head.learned },
    learned: { ...summary.learned },
    detected: { ...summary.detected },
    versionsMade: [...summary.versionsMade],
  };
}
