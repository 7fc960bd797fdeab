/**
 * A job is one mailbox at one UIDVALIDITY, classified by one model, cut into
 * batches of one size. Its id is derived from exactly those, here and nowhere
 * else, so the same command started on several machines joins the same job
 * without talking first, and a changed model or mailbox numbering is a
 * different job.
 */
import { createHash } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { DEFAULT_MODEL_PATH, type SpamModel } from '../classifier/index.js';
import type { JobSettings as JobWideSettings, JobSpec } from '../coordination/index.js';
import { PACKAGE_VERSION } from '../shared/index.js';

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

/** The job a source and a model make: the same on every machine (`display` and `settings` aside: recorded, not identity). */
export function jobSpecFor(
  sourceId: string,
  uidValidity: number,
  modelId: string,
  batchSize: number,
  settings?: JobWideSettings,
  display?: JobDisplay,
): JobSpec {
  return {
    jobId: jobIdFor({ sourceId, modelId, batchSize }),
    sourceId,
    modelId,
    batchSize,
    metadata: { uidValidity: String(uidValidity) },
    // Job-wide, recorded when the job is created; not part of the job's identity.
    ...(settings ? { settings } : {}),
    ...(display ? { display: { ...display } } : {}),
  };
}

/** What a report and `status` call the job's source and model, beside their hashes. */
export interface JobDisplay {
  readonly source: string;
  readonly model: string;
  readonly hamCutoff: string;
  readonly spamCutoff: string;
}

/**
 * `source` is a fixture path or an IMAP URL, which never holds a password
 * (the CLI refuses one); `modelPath` undefined is the shipped model.
 */
export function jobDisplayFor(source: string, modelPath: string | undefined, model: SpamModel): JobDisplay {
  const p = model.provenance;
  const shipped = modelPath === undefined || resolve(modelPath) === DEFAULT_MODEL_PATH;
  const file = shipped ? `shipped model (spamzk ${PACKAGE_VERSION})` : relative(process.cwd(), resolve(modelPath)) || modelPath;
  const trained = `trained on ${p.source}: ${p.trained.spam} spam, ${p.trained.ham} ham`;
  const learned = p.learned.spam + p.learned.ham > 0 ? `, then learned ${p.learned.spam} spam, ${p.learned.ham} ham` : '';
  return {
    source: /^imaps?:\/\//i.test(source) ? source : resolve(source),
    model: `${file}, ${trained}${learned}, id ${model.id.slice(0, 12)}`,
    hamCutoff: String(model.options.scoring.hamCutoff),
    spamCutoff: String(model.options.scoring.spamCutoff),
  };
}
