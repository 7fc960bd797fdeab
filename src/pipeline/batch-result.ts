/**
 * The result of one batch, as committed inside its done marker.
 *
 * The done marker is created by the same ZooKeeper multi that fences the
 * commit, so the verdicts and the "batch is done" fact can never disagree: a
 * fenced-out processor's verdicts are never stored, and a committed batch
 * always has its verdicts. The encoding is compact (about 6 bytes a message
 * after deflate, well under the 2 KB per 100 messages budget) and versioned.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export type MessageVerdictLabel = 'spam' | 'ham' | 'unsure' | 'failed';

export interface MessageResult {
  readonly key: number;
  readonly verdict: MessageVerdictLabel;
  /** Spam probability, quantized to 1/65535 for storage; 0 for failed messages. */
  readonly score: number;
  /** Known label of a fixture message. */
  readonly label?: 'spam' | 'ham';
  /** Failure reason, or a note on a verdict reached from partial input. */
  readonly note?: string;
}

export interface BatchResult {
  readonly processor: string;
  /** Messages the plan expected in this batch's key range. */
  readonly expected: number;
  readonly messages: readonly MessageResult[];
  /** Time spent fetching and classifying, ms (for throughput figures). */
  readonly fetchMs: number;
  readonly classifyMs: number;
  /** Longest event-loop stall seen while this batch was in hand, ms. */
  readonly stallMs: number;
}

const FORMAT_VERSION = 1;
const VERDICT_CODES: readonly MessageVerdictLabel[] = ['ham', 'spam', 'unsure', 'failed'];
const LABEL_CODES = ['', 'ham', 'spam'] as const;

interface EncodedBatch {
  v: number;
  p: string;
  e: number;
  f: number;
  c: number;
  l: number;
  /** Keys, delta-coded from 0. */
  k: number[];
  /** Verdict code + 4 × label code per message, one character each. */
  d: string;
  /** Scores as uint16 little-endian, base64. */
  s: string;
  /** Notes by message index. */
  n: Record<string, string>;
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
  return Math.round(clamped * 65535) / 65535;
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
    scores.writeUInt16LE(Math.round(quantizeScore(m.score) * 65535), i * 2);
    if (m.note) notes[i] = m.note;
  });
  const encoded: EncodedBatch = {
    v: FORMAT_VERSION,
    p: result.processor,
    e: result.expected,
    f: Math.round(result.fetchMs),
    c: Math.round(result.classifyMs),
    l: Math.round(result.stallMs),
    k: keys,
    d: codes,
    s: scores.toString('base64'),
    n: notes,
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
  if (encoded.v !== FORMAT_VERSION) {
    throw new BatchResultFormatError(`batch result format v${encoded.v} is not supported (this spamzk reads v${FORMAT_VERSION})`);
  }
  const scores = Buffer.from(encoded.s, 'base64');
  let key = 0;
  const messages = encoded.k.map((delta, i): MessageResult => {
    key += delta;
    const code = encoded.d.charCodeAt(i) - 48;
    const verdict = VERDICT_CODES[code % 4]!;
    const label = LABEL_CODES[Math.floor(code / 4)] || undefined;
    const note = encoded.n[i];
    return {
      key,
      verdict,
      score: scores.readUInt16LE(i * 2) / 65535,
      ...(label ? { label } : {}),
      ...(note !== undefined ? { note } : {}),
    };
  });
  return { processor: encoded.p, expected: encoded.e, fetchMs: encoded.f, classifyMs: encoded.c, stallMs: encoded.l, messages };
}
