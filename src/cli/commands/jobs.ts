/**
 * `spamzk jobs`: every job under the root with what it costs ZooKeeper;
 * `jobs delete JOB` and `jobs prune --older-than 30d` end a job's life
 * (coordination/lifecycle.ts says how a delete stays safe against a running
 * fleet). Prune writes each job's report into an archive folder first.
 */
import { Command } from 'commander';
import { join } from 'node:path';
import { deleteJob, readJobFootprint, readJobFootprints, type JobFootprint } from '../../coordination/index.js';
import { gatherReportInput } from '../../pipeline/index.js';
import { buildReport, writeReportFiles } from '../../report/index.js';
import { reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { inspect, type InspectFlags, type Inspection } from './inspect-options.js';

type JobsFlags = Omit<InspectFlags, 'job'>;
type DeleteFlags = JobsFlags & { force?: boolean };
type PruneFlags = DeleteFlags & { olderThan?: string; archiveDir?: string; dryRun?: boolean };

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function connectionOptions(cmd: Command): Command {
  return cmd
    .option('--zk <connect>', 'the fleet\'s ZooKeeper ensemble [SPAMZK_ZK]')
    .option('--zk-root <path>', 'root znode of the fleet [SPAMZK_ZK_ROOT] (default /spamzk)')
    .option('--json', 'machine-readable output');
}

export function registerJobs(program: Command): void {
  const jobs = connectionOptions(new Command('jobs').description('list every job: source, model, state, batches, messages, size in ZooKeeper, age'));
  jobs.action(async (flags: JobsFlags) => run(() => inspect(flags, (i) => listJobs(i, flags))));
  const del = connectionOptions(new Command('delete').argument('<job>', 'job id (see spamzk jobs)').description('delete a job and everything it holds in ZooKeeper (refuses a running job unless --force)'))
    .option('--force', 'delete even if processors are registered or claims are held (they stop at their next round)');
  del.action(async (job: string, _: unknown, cmd: Command) => {
    const flags = cmd.optsWithGlobals<DeleteFlags>();
    await run(() => inspect(flags, (i) => deleteOne(i, job, flags)));
  });
  const prune = connectionOptions(new Command('prune').description('archive the report of every completed job idle for longer than --older-than, then delete it'))
    .requiredOption('--older-than <age>', 'idle time since the job was last planned or completed, e.g. 30d, 12h, 90m')
    .option('--archive-dir <dir>', 'where each job\'s report goes, as <dir>/<job>/ (default reports/archive)')
    .option('--force', 'also prune jobs that are not complete, or running')
    .option('--dry-run', 'say what would be pruned, change nothing');
  prune.action(async (_: unknown, cmd: Command) => {
    const flags = cmd.optsWithGlobals<PruneFlags>();
    await run(async () => {
      const olderThanMs = parseAge(flags.olderThan);
      await inspect(flags, (i) => pruneJobs(i, flags, olderThanMs));
    });
  });
  jobs.addCommand(del);
  jobs.addCommand(prune);
  program.addCommand(jobs);
}

async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
    process.exitCode = process.exitCode ?? EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

export function parseAge(text: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text ?? '');
  if (!m) throw new ConfigError(`--older-than must be a number and a unit (s, m, h or d), e.g. 30d; got ${JSON.stringify(text)}`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

async function listJobs(i: Inspection, flags: JobsFlags): Promise<void> {
  const jobs = await readJobFootprints(i.session, i.root);
  const now = Date.now();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(jobs.map((j) => ({ ...j, ageMs: Math.max(0, now - j.createdAt) })))}\n`);
    return;
  }
  if (jobs.length === 0) {
    process.stdout.write(`no jobs under ${i.root}\n`);
    return;
  }
  const rows = [['JOB', 'STATE', 'BATCHES', 'MESSAGES', 'ZNODES', 'SIZE', 'AGE', 'SOURCE', 'MODEL']];
  for (const j of jobs) {
    rows.push([j.jobId, j.state, String(j.batchCount), String(j.messages), String(j.znodes), formatBytes(j.bytes), formatAge(now - j.createdAt), j.spec.sourceId, j.spec.modelId.slice(0, 12)]);
  }
  const widths = rows[0]!.map((_, c) => rows.reduce((w, r) => Math.max(w, r[c]!.length), 0));
  process.stdout.write(rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')).join('\n') + '\n');
}

async function deleteOne(i: Inspection, jobId: string, flags: DeleteFlags): Promise<void> {
  const outcome = await deleteJob(i.session, i.root, jobId, { force: flags.force === true });
  const line = outcome.existed ? `deleted job ${jobId} (${outcome.deleted} znodes)` : `no job ${jobId} under ${i.root} (already deleted)`;
  process.stdout.write(flags.json ? `${JSON.stringify({ jobId, ...outcome })}\n` : `${line}\n`);
}

interface PruneResult {
  jobId: string;
  action: 'pruned' | 'kept' | 'would prune';
  reason?: string;
  archive?: string;
  deleted?: number;
}

async function pruneJobs(i: Inspection, flags: PruneFlags, olderThanMs: number): Promise<void> {
  const now = Date.now();
  const results: PruneResult[] = [];
  for (const job of await readJobFootprints(i.session, i.root)) {
    const why = keepReason(job, now, olderThanMs, flags.force === true);
    if (why) {
      results.push({ jobId: job.jobId, action: 'kept', reason: why });
      continue;
    }
    if (flags.dryRun) {
      results.push({ jobId: job.jobId, action: 'would prune' });
      continue;
    }
    results.push(await pruneOne(i, job.jobId, flags));
  }
  if (flags.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  else for (const r of results) process.stdout.write(`${r.jobId}  ${r.action}${r.reason ? ` (${r.reason})` : ''}${r.archive ? `  report archived in ${r.archive}` : ''}\n`);
}

function keepReason(job: JobFootprint, now: number, olderThanMs: number, force: boolean): string | undefined {
  const idleMs = now - job.lastActivityAt;
  if (idleMs < olderThanMs) return `idle for ${formatAge(idleMs)} only`;
  if (!force && job.state !== 'complete') return `${job.state}, not complete; --force prunes it anyway`;
  return undefined;
}

/** The report is written (and renamed into place) before anything is deleted: a failed archive deletes nothing. */
async function pruneOne(i: Inspection, jobId: string, flags: PruneFlags): Promise<PruneResult> {
  const dir = join(flags.archiveDir ?? join('reports', 'archive'), jobId);
  const current = await readJobFootprint(i.session, i.root, jobId);
  if (!current) return { jobId, action: 'kept', reason: 'deleted meanwhile' };
  await writeReportFiles(buildReport(await gatherReportInput(i.session, i.root, jobId)), dir);
  const outcome = await deleteJob(i.session, i.root, jobId, { force: flags.force === true });
  return { jobId, action: 'pruned', archive: dir, deleted: outcome.deleted };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function formatAge(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 120) return `${Math.round(s)}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}
