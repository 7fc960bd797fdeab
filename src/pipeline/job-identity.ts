/**
 * A job is one mailbox at one UIDVALIDITY, classified by one model, cut into
 * batches of one size. Its id is derived from exactly those, here and nowhere
 * else, so the same command started on several machines joins the same job
 * without talking first, and a changed model or mailbox numbering is a
 * different job.
 */
import { createHash } from 'node:crypto';
import type { JobSettings as JobWideSettings, JobSpec } from '../coordination/index.js';

export interface JobIdentity {
  readonly sourceId: string;
  readonly modelId: string;
  readonly batchSize: number;
}

export function jobIdFor(identity: JobIdentity): string {
  const digest = createHash('sha256')
    .update(`${identity.sourceId}\n${identity.modelId}\n${identity.batchSize}`)
    .digest('hex');
  return `job-${digest.slice(0, 16)}`;
}

/** The job a source and a model make: the same on every machine. */
export function jobSpecFor(sourceId: string, uidValidity: number, modelId: string, batchSize: number, settings?: JobWideSettings): JobSpec {
  return {
    jobId: jobIdFor({ sourceId, modelId, batchSize }),
    sourceId,
    modelId,
    batchSize,
    metadata: { uidValidity: String(uidValidity) },
    // Job-wide, recorded when the job is created; not part of the job's identity.
    ...(settings ? { settings } : {}),
  };
}
