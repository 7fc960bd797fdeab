/**
 * A processor's options and how their defaults are resolved.
 */
import { hostname } from 'node:os';
import { CorruptRecordError } from './errors.js';
import type { ZkAuth } from './session.js';
import type { JobSettings } from './types.js';

export interface ProcessorOptions {
  connectString: string;
  /** Root znode of the fleet. Default "/spamzk". */
  root?: string;
  /** [A-Za-z0-9._]+, unique in the fleet. Default "<host>.<pid>.<random>". */
  processorId?: string;
  auth?: ZkAuth;
  /** Default 10 s. Ephemeral claims of a dead processor vanish after about this long. */
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * A live claim whose version has not changed for this long is reclaimed. Default 60 s.
   * Job-wide, like the next two: a new job records them in its spec (JobSettings), and on
   * an existing job the job's values win over these (a `jobSettings` event and a warning say so).
   */
  staleAfterMs?: number;
  /** Minimum interval between heartbeat writes, counted from the previous reply. Default staleAfterMs / 6. */
  heartbeatIntervalMs?: number;
  /** Counted failed attempts (worker threw, reclaimed, crashed) before a batch is quarantined. Default 3. */
  maxAttempts?: number;
  /** How often a processor with nothing to claim re-checks held batches. Default min(1 s, staleAfterMs / 4). */
  idlePollMs?: number;
  /** After losing a session, how long to keep trying to start a new one. Default 60 s. */
  reconnectGiveUpMs?: number;
  /** Fold the frontier's closed prefix into the checkpoint once it is this many batches long (frontier.ts). Default 64. */
  foldMin?: number;
}

export interface ResolvedProcessorOptions {
  staleAfterMs: number;
  heartbeatIntervalMs: number;
  maxAttempts: number;
  idlePollMs: number;
}

/** The job-wide part of a processor's options, as recorded in a new job's spec. */
export function jobSettingsOf(opts: Pick<ProcessorOptions, 'staleAfterMs' | 'heartbeatIntervalMs' | 'maxAttempts'>): JobSettings {
  const { staleAfterMs, heartbeatIntervalMs, maxAttempts } = resolveOptions(opts);
  return { staleAfterMs, heartbeatIntervalMs, maxAttempts };
}

const SETTING_NAMES = ['staleAfterMs', 'heartbeatIntervalMs', 'maxAttempts'] as const;

/**
 * A member's options once it has read the job's settings: the job's win.
 * `differs` names each setting where this member's own options disagreed.
 */
export function withJobSettings(
  own: ResolvedProcessorOptions,
  opts: ProcessorOptions,
  job: JobSettings | undefined,
  what: string,
): { options: ResolvedProcessorOptions; differs: Array<keyof JobSettings> } {
  if (!job) return { options: own, differs: [] };
  for (const name of SETTING_NAMES) {
    // A heartbeat interval of 0 means "no rate limit" (one write in flight still holds).
    const least = name === 'heartbeatIntervalMs' ? 0 : 1;
    if (typeof job[name] !== 'number' || !Number.isFinite(job[name]) || job[name] < least) {
      throw new CorruptRecordError(what, `has settings.${name}=${JSON.stringify(job[name])}; expected a number ≥ ${least}`);
    }
  }
  const differs = SETTING_NAMES.filter((name) => own[name] !== job[name]);
  const idlePollMs = opts.idlePollMs ?? resolveOptions({ staleAfterMs: job.staleAfterMs }).idlePollMs;
  return { options: { ...own, staleAfterMs: job.staleAfterMs, heartbeatIntervalMs: job.heartbeatIntervalMs, maxAttempts: job.maxAttempts, idlePollMs }, differs };
}

export function resolveOptions(opts: Partial<ProcessorOptions>): ResolvedProcessorOptions {
  const staleAfterMs = opts.staleAfterMs ?? 60_000;
  return {
    staleAfterMs,
    heartbeatIntervalMs: opts.heartbeatIntervalMs ?? Math.floor(staleAfterMs / 6),
    maxAttempts: opts.maxAttempts ?? 3,
    idlePollMs: opts.idlePollMs ?? Math.min(1_000, Math.floor(staleAfterMs / 4)),
  };
}

export function defaultProcessorId(): string {
  const host = hostname().replace(/[^A-Za-z0-9.]/g, '_');
  return `${host}.${process.pid}.${Math.random().toString(36).slice(2, 8)}`;
}

