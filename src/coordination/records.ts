/**
 * How each protocol record is stored in a znode. JSON for the small ones; the
 * done marker is a length-prefixed JSON header followed by the raw result
 * bytes, so a result of up to MAX_RESULT_BYTES is not inflated by base64.
 */
import type { Stat } from 'node-zookeeper-client';
import { CorruptRecordError } from './errors.js';
import type { Batch, CoordinationEventRecord, PlanInfo } from './types.js';

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson<T>(data: Buffer, what: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (err) {
    throw new CorruptRecordError(what, `holds unreadable data (${data.length} bytes): ${String(err)}`);
  }
}

export type StoredPlan = Omit<PlanInfo, 'version'>;
/** A batch node: its key range and, once closed, how (the close bumps the node's version). */
export type StoredBatch = Omit<Batch, 'index'> & { state?: 'done' | 'quarantined' };

export interface DoneHeader {
  processorId: string;
  claimSeq: number;
  attempt: number;
  claimedAt: number;
}

export function encodeDone(header: DoneHeader, result: Buffer): Buffer {
  const head = encodeJson(header);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(head.length);
  return Buffer.concat([len, head, result]);
}

export function decodeDone(data: Buffer, what: string): { header: DoneHeader; result: Buffer } {
  if (data.length < 4) throw new CorruptRecordError(what, `is too short for a done marker (${data.length} bytes)`);
  const len = data.readUInt32BE(0);
  const header = decodeJson<DoneHeader>(data.subarray(4, 4 + len), what);
  return { header, result: data.subarray(4 + len) };
}

export interface StoredAttempt {
  processorId: string;
  /** The claim's nonce: tells this attempt's own processor that the attempt is its own. */
  nonce?: string;
  claimSeq?: number;
  /** Set when the attempt failed: the worker's error, or why it was reclaimed. */
  error?: string;
  /** Set when the attempt does not count against the batch: its processor lost its session to a fault of the fleet. */
  spared?: string;
}

export interface StoredQuarantine {
  attempts: number;
  lastError: string;
  processorId: string;
}

/** An event as stored; its time is the znode's ctime, read back as `at`. */
export type StoredEvent = Omit<CoordinationEventRecord, 'at'>;

export interface StoredProcessor {
  host: string;
  pid: number;
  startedAt: number;
  /** The newest job control version this processor has applied (-1: none written yet); see control.ts. */
  controlVersion?: number;
}


/** ZooKeeper times are 8-byte big-endian milliseconds since the epoch (server clock). */
export function statMs(value: Buffer): number {
  return Number(value.readBigInt64BE(0));
}

export function statCtime(stat: Stat): number {
  return statMs(stat.ctime);
}
