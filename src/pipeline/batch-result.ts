/**
 * The result of one batch, as committed inside its done marker.
 *
 * The done marker is created by the same ZooKeeper multi that fences the
 * commit, so the verdicts and the "batch is done" fact can never disagree: a
 * fenced-out processor's verdicts are never stored, and a committed batch
 * always has its verdicts. The encoding is compact and versioned: verdicts,
 * labels and scores cost about 1.6 bytes a message after deflate; the header
 * fields that name each message (v3) cost most of the rest; v4's model
 * version is one small number a batch
 * (scripts/done-marker-size.ts measures it; docs/design.md quotes the figure).
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { MessageHeaders, MessageVerdict, TrueLabel } from '../report/index.js';
import { isoSeconds } from './message-headers.js';

export interface BatchResult {
  /** One verdict per message the source returned for the batch's key range. */
  readonly messages: readonly MessageVerdict[];
  /** Time spent fetching and classifying, ms (for throughput figures). */
  readonly fetchMs: number;
  readonly classifyMs: number;
  /** Longest event-loop stall seen while this batch was in hand, ms. */
  readonly stallMs: number;
  /** The learned model version its verdicts were made with (docs/design.md, learn path); absent = 0, the base model. */
  readonly modelVersion?: number;
}

/** Scores are stored as 16-bit steps of 1/SCORE_STEPS. */
export const SCORE_STEPS = 65535;
/** What 100 messages may cost in a done marker, so that ZooKeeper's share of a large mailbox stays small. */
export const RESULT_BUDGET_PER_100_MESSAGES = 8192;

/**
 * v2 dropped the processor id and the planned count: the done marker's header and the batch node hold them.
 * v3 added each message's Message-ID, From, Subject and Date (columns i, a, u, t).
 * v4 added the learned model version the batch was classified with (mv, absent when 0).
 * A version, not a silent extra field: a v3 reader must refuse a marker whose
 * verdicts came from a model it cannot name, rather than report them as the base model's.
 */
export const FORMAT_VERSION = 4;
const READABLE_VERSIONS = new Set([1, 2, 3, FORMAT_VERSION]);
const VERDICT_CODES: readonly MessageVerdict['verdict'][] = ['ham', 'spam', 'unsure', 'failed'];
const LABEL_CODES: readonly (TrueLabel | '')[] = ['', 'ham', 'spam'];

/** The done marker's wire form (before deflate); short names keep it small. */
interface EncodedBatch {
  v: number;
  f: number;
  c: number;
  l: number;
  /** Keys, delta-coded from 0. */
  k: number[];
  /** Verdict code + 4 × label code per message, one character each. */
  d: string;
  /** Scores as uint16 little-endian, base64. */
  s: string;
  /** Notes (a failure's reason, or a partial-input note) by message index. */
  n: Record<string, string>;
  /** v3, one entry per message, '' when absent: Message-ID, From, Subject. */
  i?: string[];
  a?: string[];
  u?: string[];
  /** v3 Date: seconds since the epoch when it parsed (0: absent), else the field as written. */
  t?: (number | string)[];
  /** v4: the learned model version, when above 0 (v1–v3 markers lack it: version 0). */
  mv?: number;
}

export class BatchResultFormatError extends Error {
  readonly code = 'BATCH_RESULT_FORMAT';
  constructor(message: string) {
    super(message);
    this.name = 'BatchResultFormatError';
  }
}

export function quantizeScore(score: number): number {
  const clamped = Number.isFinite(score) ? Math.min(1, Math.max(0, score)) : 0;
  return Math.round(clamped * SCORE_STEPS) / SCORE_STEPS;
}

export function encodeBatchResult(result: BatchResult): Buffer {
  const scores = Buffer.alloc(result.messages.length * 2);
  const keys: number[] = [];
  const notes: Record<string, string> = {};
  let codes = '';
  let previous = 0;
  result.messages.forEach((m, i) => {
    keys.push(m.key - previous);
    previous = m.key;
    const labelCode = m.label ? LABEL_CODES.indexOf(m.label) : 0;
    codes += String.fromCharCode(48 + VERDICT_CODES.indexOf(m.verdict) + 4 * labelCode);
    scores.writeUInt16LE(Math.round(quantizeScore(m.score ?? 0) * SCORE_STEPS), i * 2);
    const note = m.verdict === 'failed' ? m.reason : m.note;
    if (note) notes[i] = note;
  });
  const encoded: EncodedBatch = {
    v: FORMAT_VERSION,
    f: Math.round(result.fetchMs),
    c: Math.round(result.classifyMs),
    l: Math.round(result.stallMs),
    k: keys,
    d: codes,
    s: scores.toString('base64'),
    n: notes,
    i: result.messages.map((m) => m.messageId ?? ''),
    a: result.messages.map((m) => m.from ?? ''),
    u: result.messages.map((m) => m.subject ?? ''),
    t: result.messages.map((m) => encodeDate(m.date)),
    ...(result.modelVersion ? { mv: result.modelVersion } : {}),
  };
  return deflateRawSync(Buffer.from(JSON.stringify(encoded)));
}

export function decodeBatchResult(data: Buffer): BatchResult {
  let encoded: EncodedBatch;
  try {
    encoded = JSON.parse(inflateRawSync(data).toString('utf8')) as EncodedBatch;
  } catch (err) {
    throw new BatchResultFormatError(`a done marker's result is not a spamzk batch result: ${(err as Error).message}`);
  }
  if (!READABLE_VERSIONS.has(encoded.v)) {
    throw new BatchResultFormatError(`batch result format v${encoded.v} is not supported (this spamzk reads v1 to v${FORMAT_VERSION})`);
  }
  const scores = Buffer.from(encoded.s, 'base64');
  let key = 0;
  const messages = encoded.k.map((delta, i): MessageVerdict => {
    key += delta;
    const code = encoded.d.charCodeAt(i) - 48;
    const verdict = VERDICT_CODES[code % 4]!;
    const known = LABEL_CODES[Math.floor(code / 4)];
    const label = known ? { label: known } : {};
    const note = encoded.n[i];
    const names = headersAt(encoded, i);
    if (verdict === 'failed') return { key, verdict, score: null, ...label, reason: note ?? 'unknown', ...names };
    return { key, verdict, score: scores.readUInt16LE(i * 2) / SCORE_STEPS, ...label, ...(note !== undefined ? { note } : {}), ...names };
  });
  return { fetchMs: encoded.f, classifyMs: encoded.c, stallMs: encoded.l, messages, ...(encoded.mv ? { modelVersion: encoded.mv } : {}) };
}

/** A date the pipeline normalised to ISO seconds is stored as a number; anything else as written. */
function encodeDate(date: string | undefined): number | string {
  if (date === undefined) return 0;
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(date)) {
    const seconds = Date.parse(date) / 1000;
    if (seconds > 0) return seconds;
  }
  return date;
}

function headersAt(encoded: EncodedBatch, i: number): MessageHeaders {
  const messageId = encoded.i?.[i] || undefined;
  const from = encoded.a?.[i] || undefined;
  const subject = encoded.u?.[i] || undefined;
  const t = encoded.t?.[i];
  const date = typeof t === 'number' ? (t > 0 ? isoSeconds(t * 1000) : undefined) : t || undefined;
  return {
    ...(messageId !== undefined ? { messageId } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(subject !== undefined ? { subject } : {}),
    ...(date !== undefined ? { date } : {}),
  };
}
