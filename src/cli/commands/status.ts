/**
 * `spamzk status`: a live job as the whole fleet sees it, from any machine,
 * in the spirit of `kafka-consumer-groups --describe`; `--serve` keeps a live
 * page of every job on 127.0.0.1 instead. Both show the dashboard's JobSnapshot.
 */
import { Command } from 'commander';
import { listJobs, ZkSession } from '../../coordination/index.js';
import { zkAuthFromEnv } from '../zk-auth.js';
import { readJobSnapshot, serveStatusPage, type JobSnapshot } from '../../dashboard/index.js';
import { reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { addInspectOptions, chooseJob, inspect, type InspectFlags, type Inspection } from './inspect-options.js';

type StatusFlags = InspectFlags & { serve?: boolean; port?: string };

export function registerStatus(program: Command): void {
  const cmd = new Command('status').description('show a job: batches done, claimed, pending, quarantined; live processors; throughput (--serve: a live web page of every job)');
  addInspectOptions(cmd)
    .option('--serve', 'serve a live status page of every job on 127.0.0.1 until interrupted')
    .option('--port <n>', 'port of the status page (default 0: a free port, printed)')
    .action(async (flags: StatusFlags) => {
      try {
        if (flags.serve) await serve(flags, parsePort(flags));
        else await printStatus(flags);
        process.exitCode = EXIT.ok;
      } catch (err) {
        process.exitCode = reportError(err);
      }
    });
  program.addCommand(cmd);
}

async function printStatus(flags: StatusFlags): Promise<void> {
  if (flags.port !== undefined) throw new ConfigError('--port goes with --serve');
  await inspect(flags, async (i) => {
    const jobId = await chooseJob(i, flags.job);
    if (!jobId) return printJobList(i, flags.json === true);
    const snapshot = await readJobSnapshot(i.session, i.root, jobId);
    process.stdout.write(flags.json ? `${JSON.stringify(snapshot)}\n` : describe(snapshot));
  });
}

function parsePort(flags: StatusFlags): number {
  if (flags.json) throw new ConfigError('--serve and --json do not go together (the page\'s data is at /api/jobs/ID)');
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

async function printJobList(i: Inspection, json: boolean): Promise<void> {
  const jobs = await listJobs(i.session, i.root);
  if (json) {
    process.stdout.write(`${JSON.stringify(jobs)}\n`);
    return;
  }
  if (jobs.length === 0) process.stdout.write(`no jobs under ${i.root}\n`);
  for (const j of jobs) {
    process.stdout.write(`${j.jobId}  ${j.complete ? 'complete' : 'running '}  ${j.batchCount} batches  ${j.spec.sourceId}\n`);
  }
  if (jobs.length > 1) process.stdout.write('(name one with --job ID)\n');
}

function describe(s: JobSnapshot): string {
  const t = s.throughput;
  const lines = [
    `JOB ${s.jobId}  ${s.complete ? 'COMPLETE' : 'RUNNING'}`,
    `  source   ${s.spec.sourceId}`,
    `  model    ${s.spec.modelId}   batch size ${s.spec.batchSize}${s.modelVersion ? `   learned version v${s.modelVersion.version} (${s.modelVersion.learned.spam} spam, ${s.modelVersion.learned.ham} ham corrections)` : ''}`,
    `  batches  ${s.batchCount}: done ${s.done}, claimed ${s.claimed}, pending ${s.pending}, quarantined ${s.quarantined}`,
    `  messages ${t.messages} committed, ${t.msgsPerSec} msgs/s`,
    `  reclaims ${s.reclaims}, fenced commits ${s.fencedCommits}`,
    '',
    `${'PROCESSOR'.padEnd(40)} ${'HOST'.padEnd(20)} ${'PID'.padStart(7)}  HOLDING (claim age)`,
    ...s.processors.map(
      (p) =>
        `${p.processorId.padEnd(40)} ${p.host.padEnd(20)} ${String(p.pid).padStart(7)}  ${p.claims.length ? p.claims.map((c) => `${c.batch} (${(c.ageMs / 1000).toFixed(1)} s)`).join(', ') : '-'}`,
    ),
  ];
  if (s.processors.length === 0) lines.push('(no live processors)');
  return `${lines.join('\n')}\n`;
}
