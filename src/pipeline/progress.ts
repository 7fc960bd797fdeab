/**
 * Progress of a job as ZooKeeper sees it (so it counts the whole fleet, not
 * only this machine's processors): a bar on a terminal, log lines otherwise.
 */
import cliProgress from 'cli-progress';
import { readJobStatus, type JobStatus, type ZkSession } from '../coordination/index.js';
import type { Logger } from './settings.js';

export interface ProgressOptions {
  readonly session: ZkSession;
  readonly root: string;
  readonly jobId: string;
  readonly log: Logger;
  readonly bar: boolean;
  readonly intervalMs?: number;
}

export interface ProgressWatch {
  stop(): Promise<void>;
}

export function watchProgress(opts: ProgressOptions): ProgressWatch {
  const intervalMs = opts.intervalMs ?? (opts.bar ? 500 : 5_000);
  const bar = opts.bar
    ? new cliProgress.SingleBar(
        { format: ' {bar} {value}/{total} batches | {claimed} claimed | {processors} processors | {reclaims} reclaims', stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let polling: Promise<void> = Promise.resolve();

  const show = (s: JobStatus): void => {
    const closed = s.done + s.quarantined;
    const fields = { claimed: s.claimed, processors: s.processors.length, reclaims: s.reclaims };
    if (bar && !started) {
      bar.start(s.batchCount, closed, fields);
      started = true;
    } else if (bar) {
      bar.setTotal(s.batchCount);
      bar.update(closed, fields);
    } else {
      opts.log.info({ job: opts.jobId, done: s.done, quarantined: s.quarantined, pending: s.pending, ...fields }, 'progress');
    }
  };
  const poll = (): void => {
    polling = readJobStatus(opts.session, opts.root, opts.jobId).then(show, (err: unknown) =>
      opts.log.debug({ err: (err as Error).message }, 'progress poll failed'),
    );
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
