/**
 * `spamzk status`: a live job as the whole fleet sees it, from any machine,
 * in the spirit of `kafka-consumer-groups --describe`; `--watch` redraws it
 * (one snapshot per interval when stdout is not a terminal) until
 * interrupted; `--serve` keeps a live page of every job on 127.0.0.1 instead.
 * All show the dashboard's JobSnapshot.
 */
import { Command } from 'commander';
import { JobPaths, listJobs, readBatches, readJobStatus, ZkSession } from '../../coordination/index.js';
import { zkAuthFromEnv } from '../zk-auth.js';
import { readJobSnapshot, serveStatusPage } from '../../dashboard/index.js';
import { reportError } from '../command-errors.js';
import { ConfigError, formatDuration, parseDuration } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { addInspectOptions, chooseJob, fleetAddress, inspect, type InspectFlags, type Inspection } from './inspect-options.js';
import { backlogOf, describeJob, describeJobList, type JobRow } from './status-text.js';

type StatusFlags = InspectFlags & { serve?: boolean; port?: string; watch?: string | boolean; batches?: boolean };

const DEFAULT_WATCH_MS = 2_000;
const WATCH_RANGE_MS = [500, 3_600_000] as const;

export function registerStatus(program: Command): void {
  const cmd = new Command('status').description(
    'show a job: backlog and ETA, batches done/claimed/pending/quarantined, each live claim with its age and last heartbeat; without --job, the list of jobs (--serve: a live web page of every job)',
  );
  addInspectOptions(cmd)
    .option('--watch [interval]', `redraw every interval (default ${formatDuration(DEFAULT_WATCH_MS)}) until interrupted; not on a terminal, print one snapshot per interval`)
    .option('--batches', 'also list every batch: keys, messages, state, holder')
    .option('--serve', 'serve a live status page of every job on 127.0.0.1 until interrupted')
    .option('--port <n>', 'port of the status page (default 0: a free port, printed)')
    .action(async (flags: StatusFlags) => {
      try {
        fleetAddress(flags);
        if (flags.serve) await serve(flags, parsePort(flags));
        else await printStatus(flags, watchInterval(flags));
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  program.addCommand(cmd);
}

function watchInterval(flags: StatusFlags): number | undefined {
  if (flags.port !== undefined) throw new ConfigError('--port goes with --serve');
  if (flags.watch === undefined) return undefined;
  if (flags.json && process.stdout.isTTY) throw new ConfigError('--watch with --json prints one JSON line per interval: redirect it to a file or a pipe');
  if (flags.watch === true) return DEFAULT_WATCH_MS;
  const ms = parseDuration(String(flags.watch), '--watch');
  const [min, max] = WATCH_RANGE_MS;
  if (ms < min || ms > max) throw new ConfigError(`--watch: ${formatDuration(ms)} is outside ${formatDuration(min)}..${formatDuration(max)}`);
  return ms;
}

async function printStatus(flags: StatusFlags, watchMs: number | undefined): Promise<void> {
  await inspect(flags, async (i) => {
    // Chosen again at each redraw: a watch started before the job shows it once it exists.
    const draw = async (): Promise<string> => {
      const jobId = await chooseJob(i, flags.job);
      return jobId ? jobText(i, jobId, flags) : jobListText(i, flags.json === true);
    };
    if (watchMs === undefined) {
      process.stdout.write(await draw());
      return;
    }
    await watch(draw, watchMs);
  });
}

/** Until SIGINT/SIGTERM (exit 0: that is how a watch ends). On a terminal the screen is redrawn in place. */
async function watch(draw: () => Promise<string>, intervalMs: number): Promise<void> {
  const terminal = process.stdout.isTTY === true;
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (;;) {
      const text = await draw();
      const stamp = `${new Date().toISOString()}  (every ${formatDuration(intervalMs)}; Ctrl-C to stop)\n`;
      process.stdout.write(terminal ? `\x1b[H\x1b[2J${stamp}${text}` : `${text}\n`);
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((resolve) => (timer = setTimeout(() => resolve('tick'), intervalMs)));
      const why = await Promise.race([tick, stopped.then(() => 'stop' as const)]);
      clearTimeout(timer);
      if (why === 'stop') return;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

async function jobText(i: Inspection, jobId: string, flags: StatusFlags): Promise<string> {
  const [snapshot, batches] = await Promise.all([readJobSnapshot(i.session, i.root, jobId), readBatches(i.session, i.root, jobId)]);
  if (flags.json) {
    const extra = { backlog: backlogOf(snapshot, batches), ...(flags.batches ? { batches } : {}) };
    return `${JSON.stringify({ ...snapshot, ...extra })}\n`;
  }
  return describeJob(snapshot, batches, flags.batches === true);
}

async function jobListText(i: Inspection, json: boolean): Promise<string> {
  const jobs = await listJobs(i.session, i.root);
  if (json) return `${JSON.stringify(jobs)}\n`;
  const rows = await Promise.all(
    jobs.map(async (j): Promise<JobRow> => {
      const [status, stat] = await Promise.all([readJobStatus(i.session, i.root, j.jobId), i.session.exists(new JobPaths(i.root, j.jobId).job)]);
      return { jobId: j.jobId, status, createdAt: stat ? Number(stat.ctime.readBigInt64BE(0)) : Date.now() };
    }),
  );
  return describeJobList(rows, i.root, Date.now());
}

function parsePort(flags: StatusFlags): number {
  if (flags.json) throw new ConfigError('--serve and --json do not go together (the page\'s data is at /api/jobs/ID)');
  if (flags.watch !== undefined) throw new ConfigError('--serve and --watch do not go together (the page is live already)');
  if (flags.port === undefined) return 0;
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`--port must be an integer from 0 to 65535, got ${JSON.stringify(flags.port)}`);
  return port;
}

/** Serves until SIGINT/SIGTERM; the page's address goes to stdout (one line), logs to stderr. */
async function serve(flags: StatusFlags, port: number): Promise<void> {
  const log = createLogger(process.env.SPAMZK_LOG_LEVEL ?? 'info');
  const auth = await zkAuthFromEnv();
  await inspect(flags, async (i) => {
    if (flags.job) await chooseJob(i, flags.job);
    const openSession = async (): Promise<ZkSession> => {
      const s = new ZkSession({ connectString: i.session.connectString, auth });
      await s.start();
      return s;
    };
    const page = await serveStatusPage({
      session: i.session,
      openSession,
      root: i.root,
      port,
      onError: (err) => log.warn({ err: (err as Error).message }, 'status page: ZooKeeper read failed; retrying'),
    });
    const url = flags.job ? `${page.url}#job=${encodeURIComponent(flags.job)}` : page.url;
    process.stdout.write(`status page: ${url}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await page.close();
  });
}
