/**
 * New mail becomes new batches of the same job: after each pass of a cadence
 * (`--every`), and when a finished job is run again.
 *
 * Several invocations of the same command (two machines running the same
 * `--every`) extend the same plan. extendJob is a compare-and-set on the
 * plan's version, so one of two concurrent extenders loses with
 * PlanConflictError; the loser re-reads the plan and plans only the keys
 * after its new last key, so nothing is planned twice (issue 12 item 3).
 */
import { extendJob, JobPaths, PlanConflictError, readPlanTail } from '../coordination/index.js';
import { delay } from '../shared/index.js';
import type { JobSession } from './job-session.js';
import { planBatches } from './plan.js';
import type { Logger } from './settings.js';

/** Lost races in a row before giving up: each loss means another run planned, so this is never reached in practice. */
const MAX_PLAN_RACES = 20;

export interface NewMailPlan {
  readonly root: string;
  readonly jobId: string;
  readonly batchSize: number;
  /** The source's keys above `lastKey`, ascending. */
  readonly listKeysAfter: (lastKey: number) => Promise<number[]>;
  readonly log: Logger;
  readonly signal?: AbortSignal;
}

/** Plans the keys above the job's highest planned key; returns how many messages it planned (0 if another run planned them). */
export async function planNewMail(sessions: JobSession, job: NewMailPlan): Promise<number> {
  for (let race = 1; ; race++) {
    // The plan's tail only (two reads), not every batch node: a pass costs the same whatever the job's history.
    const { batchCount, lastKey } = await sessions.run('reading the plan', (s) => readPlanTail(s, new JobPaths(job.root, job.jobId)), job.signal);
    const fresh = await job.listKeysAfter(lastKey);
    if (fresh.length === 0) return 0;
    const planned = planBatches(fresh, job.batchSize, batchCount);
    try {
      const plan = await sessions.run('extending the plan', (s) => extendJob(s, job.root, job.jobId, planned), job.signal);
      job.log.info({ job: job.jobId, newMessages: fresh.length, batches: plan.batchCount }, 'new mail planned');
      return fresh.length;
    } catch (err) {
      if (!(err instanceof PlanConflictError) || race >= MAX_PLAN_RACES) throw err;
      // Another invocation extended (or is still planning) the job first.
      job.log.info({ job: job.jobId, race, detail: err.message }, 'plan extended concurrently by another run: re-reading it');
      await delay(50 * race, job.signal);
      job.signal?.throwIfAborted();
    }
  }
}
