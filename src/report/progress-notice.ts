/**
 * What a report of a job that is not complete says instead of an integrity
 * verdict: an interrupted or running job is not a failed one (issue 12 item 7).
 */
import type { JobReport } from './job-report.js';

export interface InProgressNotice {
  readonly text: string;
  /** The exact command that resumes the job, shown whole (never shortened), when known. */
  readonly command: string | undefined;
}

export function inProgressNotice(r: JobReport): InProgressNotice {
  const b = r.batches;
  const text = `Job in progress: ${b.pending} of ${b.planned} batches pending; integrity is checked once it completes.`;
  return r.job.resumeCommand
    ? { text: `${text} Resume it with:`, command: r.job.resumeCommand }
    : { text: `${text} Resume it by running the command that started it again, with the same --zk and --zk-root (same source, model and --batch-size).`, command: undefined };
}
