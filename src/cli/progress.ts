/**
 * Progress of a job as ZooKeeper sees it (so it counts the whole fleet, not
 * only this machine's processors): a bar on a terminal, log lines otherwise.
 * The pipeline hands it a reader of the job's status; drawing is the CLI's.
 */
import cliProgress from 'cli-progress';
import type { JobStatus } from '../coordination/index.js';
import type { Logger, ProgressDisplay, ProgressWatch } from '../pipeline/index.js';
import { plural } from './output.js';

export interface ProgressOptions {
  readonly log: Logger;
  readonly bar: boolean;
  readonly intervalMs?: number;
}

export function progressDisplay(opts: ProgressOptions): ProgressDisplay {
  return { watch: (jobId, readStatus) => watchProgress(opts, jobId, readStatus) };
}

function watchProgress(opts: ProgressOptions, jobId: string, readStatus: () => Promise<JobStatus>): ProgressWatch {
  const intervalMs = opts.intervalMs ?? (opts.bar ? 500 : 5_000);
  const bar = opts.bar
    ? new cliProgress.SingleBar(
        { format: ' {bar} {value}/{total} batches | {claimed} claimed | {processors} | {reclaims}', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let polling: Promise<void> = Promise.resolve();

  const show = (s: JobStatus): void => {
    const closed = s.done + s.quarantined;
    const fields = { claimed: s.claimed, processors: plural(s.processors.length, 'processor'), reclaims: plural(s.reclaims, 'reclaim') };
    if (bar && !started) {
      bar.start(s.batchCount, closed, fields);
      started = true;
    } else if (bar) {
      bar.setTotal(s.batchCount);
      bar.update(closed, fields);
    } else {
      opts.log.info({ job: jobId, done: s.done, quarantined: s.quarantined, pending: s.pending, claimed: s.claimed, processors: s.processors.length, reclaims: s.reclaims }, 'progress');
    }
  };
  const poll = (): void => {
    polling = readStatus().then(show, (err: unknown) => opts.log.debug({ err: (err as Error).message }, 'progress poll failed'));
  };
  const timer = setInterval(poll, intervalMs);
  poll();
  return {
    async stop() {
      clearInterval(timer);
      await polling;
      if (bar && started) {
        poll();
        await polling;
        bar.stop();
      }
    },
  };
}
