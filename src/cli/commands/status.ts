/**
 * `spamzk status`: a live job as the whole fleet sees it, from any machine,
 * in the spirit of `kafka-consumer-groups --describe`.
 */
import { Command } from 'commander';
import { listJobs, readJobStatus, type JobStatus } from '../../coordination/index.js';
import { readBatchCommits } from '../../pipeline/index.js';
import { commitRate } from '../../report/index.js';
import { reportError } from '../command-errors.js';
import { EXIT } from '../exit-codes.js';
import { addInspectOptions, chooseJob, inspect, type InspectFlags, type Inspection } from './inspect-options.js';

interface Throughput {
  messages: number;
  msgsPerSec: number;
}

export function registerStatus(program: Command): void {
  const cmd = new Command('status').description('show a job: batches done, claimed, pending, quarantined; live processors; throughput');
  addInspectOptions(cmd).action(async (flags: InspectFlags) => {
    try {
      await inspect(flags, async (i) => {
        const jobId = await chooseJob(i, flags.job);
        if (!jobId) return printJobList(i, flags.json === true);
        const status = await readJobStatus(i.session, i.root, jobId);
        const throughput = await measureThroughput(i, jobId);
        process.stdout.write(flags.json ? `${JSON.stringify({ ...status, throughput })}\n` : describe(jobId, status, throughput));
      });
      process.exitCode = EXIT.ok;
    } catch (err) {
      process.exitCode = reportError(err);
    }
  });
  program.addCommand(cmd);
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

/** Messages committed over the span from the first claim to the last commit (as the report counts them). */
async function measureThroughput(i: Inspection, jobId: string): Promise<Throughput> {
  const rate = commitRate(await readBatchCommits(i.session, i.root, jobId));
  return { messages: rate.messages, msgsPerSec: Math.round(rate.messagesPerSecond ?? 0) };
}

function describe(jobId: string, s: JobStatus, t: Throughput): string {
  const lines = [
    `JOB ${jobId}  ${s.complete ? 'COMPLETE' : 'RUNNING'}`,
    `  source   ${s.spec.sourceId}`,
    `  model    ${s.spec.modelId}   batch size ${s.spec.batchSize}`,
    `  batches  ${s.batchCount}: done ${s.done}, claimed ${s.claimed}, pending ${s.pending}, quarantined ${s.quarantined}`,
    `  messages ${t.messages} committed, ${t.msgsPerSec} msgs/s`,
    `  reclaims ${s.reclaims}, fenced commits ${s.fencedCommits}`,
    '',
    `${'PROCESSOR'.padEnd(40)} ${'HOST'.padEnd(20)} ${'PID'.padStart(7)}  HOLDING`,
    ...s.processors.map(
      (p) => `${p.processorId.padEnd(40)} ${p.host.padEnd(20)} ${String(p.pid).padStart(7)}  ${p.holding.length ? p.holding.join(',') : '-'}`,
    ),
  ];
  if (s.processors.length === 0) lines.push('(no live processors)');
  return `${lines.join('\n')}\n`;
}
