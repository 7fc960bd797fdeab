/**
 * What `spamzk status` prints, as `kafka-consumer-groups --describe` users
 * read it: the job, its backlog in messages and an ETA, each live claim with
 * its age and last heartbeat, per-batch rows on request, and the job list.
 */
import type { Batch, JobStatus } from '../../coordination/index.js';
import { batchStateAt, type JobSnapshot } from '../../dashboard/index.js';
import { plural } from '../output.js';

export interface Backlog {
  /** Batches not yet closed (pending or claimed) and the messages they hold. */
  readonly batches: number;
  readonly messages: number;
  /** At the job's throughput so far; undefined when nothing was committed yet. */
  readonly etaMs: number | undefined;
}

export function backlogOf(s: JobSnapshot, batches: readonly Batch[]): Backlog {
  const open = batches.filter((b) => b.index < s.grid.length && ['pending', 'claimed'].includes(batchStateAt(s, b.index)));
  const messages = open.reduce((sum, b) => sum + b.count, 0);
  const rate = s.throughput.msgsPerSec;
  return { batches: open.length, messages, etaMs: messages === 0 ? 0 : rate > 0 ? (messages / rate) * 1000 : undefined };
}

export function describeJob(s: JobSnapshot, batches: readonly Batch[], withBatches: boolean): string {
  const t = s.throughput;
  const backlog = backlogOf(s, batches);
  const eta = backlog.etaMs === undefined ? 'ETA unknown until a batch is committed' : backlog.messages === 0 ? 'nothing left' : `ETA ${span(backlog.etaMs)} at ${t.msgsPerSec} msgs/s`;
  const names = s.spec.display;
  const lines = [
    `JOB ${s.jobId}  ${s.complete ? 'COMPLETE' : s.control.state === 'running' ? 'RUNNING' : s.control.state.toUpperCase()}`,
    `  source   ${names?.source ?? s.spec.sourceId}`,
    `  model    ${names?.model ?? s.spec.modelId}${learnedVersionOf(s)}`,
    `  batches  ${s.batchCount}: done ${s.done}, claimed ${s.claimed}, pending ${s.pending}, quarantined ${s.quarantined} (up to ${plural(s.spec.batchSize, 'message')} each)`,
    `  backlog  ${plural(backlog.messages, 'message')} in ${plural(backlog.batches, 'open batch', 'open batches')}; ${eta}`,
    `  messages ${t.messages} committed, ${t.msgsPerSec} msgs/s`,
    `  reclaims ${s.reclaims}, fenced commits ${s.fencedCommits}`,
    `  control  ${describeControl(s.control)}`,
    '',
    `${'PROCESSOR'.padEnd(40)} ${'HOST'.padEnd(20)} ${'PID'.padStart(7)} ${'CTL'.padStart(4)}  CLAIMS`,
    ...s.processors.map(
      (p) => `${p.processorId.padEnd(40)} ${p.host.padEnd(20)} ${String(p.pid).padStart(7)} ${controlVersionOf(p.controlVersion).padStart(4)}  ${p.claims.length}`,
    ),
  ];
  if (s.processors.length === 0) lines.push('(no live processors)');
  lines.push('', `${'BATCH'.padStart(6)} ${'PROCESSOR'.padEnd(40)} ${'ATTEMPT'.padStart(7)} ${'AGE'.padStart(8)} ${'LAST HEARTBEAT'.padStart(15)} ${'BEATS'.padStart(5)}  STATUS`);
  for (const c of s.claims) {
    lines.push(`${String(c.batch).padStart(6)} ${c.processorId.padEnd(40)} ${String(c.attempt).padStart(7)} ${span(c.ageMs).padStart(8)} ${`${span(Math.max(0, s.takenAt - c.lastHeartbeatAt))} ago`.padStart(15)} ${String(c.heartbeats).padStart(5)}  ${c.status}`);
  }
  if (s.claims.length === 0) lines.push('(no live claims)');
  if (withBatches) lines.push('', ...batchRows(s, batches));
  return `${lines.join('\n')}\n`;
}

function describeControl(c: JobSnapshot['control']): string {
  if (c.version < 0) return `${c.state} (never changed)`;
  const settings = Object.entries(c.settings).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${c.state}, version ${c.version}${settings ? `, ${settings}` : ''} (changed ${new Date(c.changedAt).toISOString()})`;
}

/** The control version a processor has applied, as the CTL column shows it. */
function controlVersionOf(v: number | undefined): string {
  return v === undefined || v < 0 ? '-' : `v${v}`;
}

function batchRows(s: JobSnapshot, batches: readonly Batch[]): string[] {
  const holder = new Map(s.claims.map((c) => [c.batch, c]));
  return [
    `${'BATCH'.padStart(6)} ${'KEYS'.padEnd(23)} ${'MESSAGES'.padStart(8)}  ${'STATE'.padEnd(11)} HELD BY`,
    ...batches.map((b) => {
      const state = b.index < s.grid.length ? batchStateAt(s, b.index) : 'pending';
      const c = holder.get(b.index);
      return `${String(b.index).padStart(6)} ${`${b.first}-${b.last}`.padEnd(23)} ${String(b.count).padStart(8)}  ${state.padEnd(11)} ${c ? `${c.processorId} (attempt ${c.attempt}, ${span(c.ageMs)})` : '-'}`;
    }),
  ];
}

export interface JobRow {
  readonly jobId: string;
  readonly status: JobStatus;
  /** ZooKeeper ctime of the job znode. */
  readonly createdAt: number;
}

export function describeJobList(rows: readonly JobRow[], root: string, now: number): string {
  if (rows.length === 0) return `no jobs under ${root}\n`;
  const head = `${'JOB'.padEnd(21)} ${'STATE'.padEnd(8)} ${'AGE'.padStart(10)} ${'BATCHES'.padStart(7)} ${'DONE'.padStart(6)} ${'PENDING'.padStart(7)} ${'CLAIMED'.padStart(7)} ${'QUARANTINED'.padStart(11)} ${'BATCH SIZE'.padStart(10)}`;
  const lines = rows.map(({ jobId, status: s, createdAt }) => {
    const model = s.spec.display?.model ?? `model ${s.spec.modelId.slice(0, 12)}`;
    const source = s.spec.display?.source ?? s.spec.sourceId;
    return [
      `${jobId.padEnd(21)} ${(s.complete ? 'complete' : 'running').padEnd(8)} ${span(Math.max(0, now - createdAt)).padStart(10)} ${String(s.batchCount).padStart(7)} ${String(s.done).padStart(6)} ${String(s.pending).padStart(7)} ${String(s.claimed).padStart(7)} ${String(s.quarantined).padStart(11)} ${String(s.spec.batchSize).padStart(10)}`,
      `    model  ${model}`,
      `    source ${source}`,
    ].join('\n');
  });
  return `${[head, ...lines].join('\n')}\n${rows.length > 1 ? '(name one with --job ID)\n' : ''}`;
}

/** "850 ms", "12.3 s", "4 min 5 s", "2 h 3 min", "3 d 4 h". */
export function span(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** With --learn: the fleet's current model version for the job's account, and what it learned. */
function learnedVersionOf(s: JobSnapshot): string {
  const v = s.modelVersion;
  return v ? `   learned version v${v.version} (${v.learned.spam} spam, ${v.learned.ham} ham corrections)` : '';
}
