/**
 * A processor's options and how their defaults are resolved.
 */
import { hostname } from 'node:os';
import type { ZkAuth } from './session.js';

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
  /** A live claim whose version has not changed for this long is reclaimed. Default 60 s. */
  staleAfterMs?: number;
  /** Minimum interval between heartbeat writes. Default staleAfterMs / 6. */
  heartbeatIntervalMs?: number;
  /** Failed attempts (worker threw, reclaimed, crashed) before a batch is quarantined. Default 3. */
  maxAttempts?: number;
  /** How often a processor with nothing to claim re-checks held batches. Default min(1 s, staleAfterMs / 4). */
  idlePollMs?: number;
  /** After losing a session, how long to keep trying to start a new one. Default 60 s. */
  reconnectGiveUpMs?: number;
}

export interface ResolvedProcessorOptions {
  staleAfterMs: number;
  heartbeatIntervalMs: number;
  maxAttempts: number;
  idlePollMs: number;
}

export function resolveOptions(opts: ProcessorOptions): ResolvedProcessorOptions {
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

