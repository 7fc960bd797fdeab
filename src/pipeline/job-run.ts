/**
 * `spamzk replay` and `spamzk run`: everything one invocation does.
 *
 *   1. validate: the model loads, the source opens (before any work starts);
 *   2. ZooKeeper: the given ensemble, or a local one started for this run;
 *   3. open the job (plan it if this invocation is first; join it otherwise);
 *   4. run N local processors until the job is complete; with a cadence,
 *      turn new mail into new batches of the same job and go again;
 *   5. read the whole job back from ZooKeeper and write the report.
 *
 * Several invocations with the same source and model, on one machine or many,
 * join the same job and share its batches.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpamModel } from '../classifier/index.js';
import { extendJob, jobSettingsOf, openJob, readBatches, ZkSession } from '../coordination/index.js';
import { zkAuthFromEnv } from '../cli/zk-auth.js';
import { buildReport, writeReportFiles, type JobReport, type ReportFiles } from '../report/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../servers/zookeeper.js';
import { openSource, type MailSource, type SourceIdentity } from '../sources/index.js';
import type { Logger } from '../cli/logger.js';
import type { RunConfig } from '../cli/config.js';
import { LocalFleet, type FleetOutcome } from './fleet.js';
import { gatherReportInput } from './gather.js';
import { planBatches, planBatchesFrom } from './plan.js';
import { jobSpecFor } from './processor-run.js';
import { watchProgress } from './progress.js';
import { sourceOptionsFrom } from './source-options.js';

export interface JobRunInput {
  readonly config: RunConfig;
  readonly sourceLocation: string;
  readonly log: Logger;
  /** Draw a progress bar (a terminal) rather than log progress lines. */
  readonly interactive: boolean;
  /** Aborting it drains the local processors and ends the run early. */
  readonly signal?: AbortSignal;
  /** With a cadence: stop after this many passes (default: until interrupted). */
  readonly passes?: number;
}

export interface JobRunOutcome {
  readonly jobId: string;
  readonly report: JobReport;
  readonly files: ReportFiles;
  readonly fleets: FleetOutcome[];
  readonly interrupted: boolean;
}

export async function runJob(input: JobRunInput): Promise<JobRunOutcome> {
  const { config, log } = input;
  const model = SpamModel.load(config.model);
  const identity = await withSource(input, async (_, id) => id);
  const settings = jobSettingsOf({ staleAfterMs: config.staleAfterMs, maxAttempts: config.maxAttempts });
  const spec = jobSpecFor(identity.id, identity.uidValidity, model.id, config.batchSize, settings);
  log.info({ job: spec.jobId, source: identity.id, model: model.id }, 'job identified');

  const zk = config.zk === undefined ? await startLocalZooKeeper(log) : undefined;
  const connectString = config.zk ?? zk!.connectString;
  const session = new ZkSession({ connectString, auth: await zkAuthFromEnv(), sessionTimeoutMs: config.sessionTimeoutMs });
  try {
    await session.start();
    await openJob(session, config.zkRoot, spec, (from) => withSource(input, async (s) => planBatchesFrom(await s.listKeys(), config.batchSize, from)));
    const fleets: FleetOutcome[] = [];
    for (let pass = 1; ; pass++) {
      fleets.push(await runLocalFleet(input, connectString, session, spec.jobId));
      if (config.everyMs === undefined || input.signal?.aborted || pass === input.passes) break;
      await sleep(config.everyMs, undefined, { signal: input.signal }).catch(() => undefined);
      if (input.signal?.aborted) break;
      await planNewMail(input, session, spec.jobId, identity);
    }
    const report = buildReport(await gatherReportInput(session, config.zkRoot, spec.jobId));
    const files = await writeReportFiles(report, config.reportDir ?? join('reports', spec.jobId));
    return { jobId: spec.jobId, report, files, fleets, interrupted: input.signal?.aborted ?? false };
  } finally {
    await session.close();
    await zk?.stop();
  }
}

async function runLocalFleet(input: JobRunInput, connectString: string, session: ZkSession, jobId: string): Promise<FleetOutcome> {
  const fleet = new LocalFleet({
    processors: input.config.processors,
    config: input.config,
    sourceLocation: input.sourceLocation,
    connectString,
    jobId,
    log: input.log,
    childLogLevel: input.interactive ? 'warn' : input.config.logLevel,
  });
  const onAbort = (): void => fleet.drain();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  const progress = watchProgress({ session, root: input.config.zkRoot, jobId, log: input.log, bar: input.interactive });
  try {
    return await fleet.run();
  } finally {
    input.signal?.removeEventListener('abort', onAbort);
    await progress.stop();
  }
}

/** The cadence: keys above the last planned one become new batches of the job. */
async function planNewMail(input: JobRunInput, session: ZkSession, jobId: string, identity: SourceIdentity): Promise<void> {
  const { config, log } = input;
  const batches = await readBatches(session, config.zkRoot, jobId);
  const lastKey = batches.reduce((max, b) => Math.max(max, b.last), 0);
  const fresh = await withSource(input, async (s, now) => {
    // A changed UIDVALIDITY is a new numbering, hence a new identity: never
    // mix two numberings in one job.
    if (now.id !== identity.id) throw new Error(`the source changed identity (${identity.id} -> ${now.id}); start a new job`);
    return s.listKeysAfter(lastKey);
  });
  if (fresh.length === 0) return;
  const plan = await extendJob(session, config.zkRoot, jobId, planBatches(fresh, config.batchSize, batches.length));
  log.info({ job: jobId, newMessages: fresh.length, batches: plan.batchCount }, 'new mail planned');
}

/** Opens the source for one use and closes it: planning and the cadence touch it briefly. */
async function withSource<T>(input: JobRunInput, use: (source: MailSource, identity: SourceIdentity) => Promise<T>): Promise<T> {
  const source = openSource(input.sourceLocation, sourceOptionsFrom(input.config, input.log));
  try {
    return await use(source, await source.open());
  } finally {
    await source.close();
  }
}

async function startLocalZooKeeper(log: Logger): Promise<ZooKeeperCluster> {
  const started = Date.now();
  const zk = await startZooKeeper({ nodes: 1 });
  log.info({ connectString: zk.connectString, ms: Date.now() - started }, 'local ZooKeeper started for this run (no --zk given)');
  return zk;
}
