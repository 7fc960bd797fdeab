/**
 * The model file: one JSON document, versioned, whose `id` is the sha256 of
 * its canonical body (everything but the id, keys in a fixed order, tokens
 * sorted). Same state and options give the same bytes and the same id, so a
 * report can name exactly which model classified a message. Loading a file
 * gives bit-identical scores: counts are integers, the fusion weights are
 * float64 written by JSON.stringify (which round-trips exactly), and the
 * regression's float32 weights are stored as their little-endian bytes in
 * base64. The options (hashing bits, head bytes, rates, cutoffs) are in the
 * file, so a model is scored the way it was trained.
 *
 * Version 2 added the regression weights and the fusion, and stores the
 * counts as columns; a version 1 file is refused with a clear message
 * (retrain it). Version 3 added the option `online.textChars` (4-grams of the
 * decoded text): a version 2 file has none and is read as textChars 0, which
 * is how it was trained. A model is written in the oldest version that holds
 * it (3 only when it uses textChars), so a version 2 file keeps its bytes and
 * id through a load and a save, and an older spamzk refuses only a model
 * whose features it would not compute.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ClassifierError } from './errors.js';
import type { FusionWeights, ModelOptions, ModelProvenance, ModelState } from './model-types.js';
import { TokenCounts } from './token-counts.js';

export const MODEL_FORMAT = 'spamzk-model';
export const MODEL_FORMAT_VERSION = 3;
/** Versions this spamzk reads: the current one and those it can read as it (see above). */
const READABLE_VERSIONS: readonly number[] = [2, 3];

interface ModelFileBody {
  format: string;
  version: number;
  provenance: ModelProvenance;
  options: ModelOptions;
  nSpam: number;
  nHam: number;
  fusion: FusionWeights;
  /** The non-zero weights, sparse: base64 of their indices (uint32, ascending) and values (float32), little-endian. */
  weights: { index: string; value: string };
  /** spam[i] and ham[i] are the counts of tokens[i]; tokens sorted. */
  spam: number[];
  ham: number[];
  tokens: string[];
}

export function modelId(state: ModelState): string {
  return sha256(canonicalBody(state));
}

export function serializeModel(state: ModelState): string {
  const body = canonicalBody(state);
  return `{"id":${JSON.stringify(sha256(body))},${body.slice(1)}\n`;
}

export function writeModelFile(state: ModelState, path: string): void {
  // Write then rename: a crash mid-write must not leave a half model under the real name.
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, serializeModel(state));
  renameSync(tmp, path);
}

export function readModelFile(path: string): ModelState {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ClassifierError('MODEL_NOT_FOUND', `no model file at ${path}: run \`spamzk train\` or pass --model`);
    throw new ClassifierError('MODEL_UNREADABLE', `cannot read the model ${path}: ${(err as Error).message}`);
  }
  return parseModel(bytes, path);
}

/** The file's bytes to a model, checking its id against its content. */
export function parseModel(bytes: Buffer, where: string): ModelState {
  const text = bytes.toString('utf8');
  let doc: Partial<ModelFileBody> & { id?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (err) {
    throw new ClassifierError('MODEL_CORRUPT', `${where} is not a model file (bad JSON: ${(err as Error).message})`);
  }
  if (doc.format !== MODEL_FORMAT) throw new ClassifierError('MODEL_CORRUPT', `${where} is not a ${MODEL_FORMAT} file`);
  if (typeof doc.version !== 'number' || !READABLE_VERSIONS.includes(doc.version)) {
    throw new ClassifierError('MODEL_VERSION', `${where} has model format ${String(doc.version)}; this spamzk reads ${READABLE_VERSIONS.join(' and ')}: retrain it`);
  }
  if (!Array.isArray(doc.tokens) || !Array.isArray(doc.spam) || !Array.isArray(doc.ham) || doc.spam.length !== doc.tokens.length
    || doc.ham.length !== doc.tokens.length || typeof doc.nSpam !== 'number' || typeof doc.nHam !== 'number' || !doc.options || !doc.provenance
    || typeof doc.weights?.index !== 'string' || typeof doc.weights.value !== 'string' || !doc.fusion) {
    throw new ClassifierError('MODEL_CORRUPT', `${where} lacks tokens, counts, weights, fusion, options or provenance`);
  }
  // The file is `{"id":"<hash>",` + body + newline: hashing the file's own
  // bytes checks the id without rebuilding the canonical body (which would
  // double load time and memory), and without copying the text (a sixth of
  // `classify ONE_FILE`'s start-up when hashed as a string).
  const prefix = `{"id":${JSON.stringify(doc.id)},`;
  if (!text.startsWith(prefix) || bodyHash(bytes, Buffer.byteLength(prefix)) !== doc.id) {
    throw new ClassifierError('MODEL_CORRUPT', `${where}: content does not match its id ${String(doc.id)} (edited or damaged); retrain it`);
  }
  // The canonical body sorts its tokens, and TokenCounts binary-searches them.
  for (let i = 1; i < doc.tokens.length; i++) {
    if (!(doc.tokens[i - 1]! < doc.tokens[i]!)) throw new ClassifierError('MODEL_CORRUPT', `${where}: tokens not in ascending order at ${i}`);
  }
  const counts = new TokenCounts(doc.tokens, doc.spam, doc.ham);
  const weights = decodeWeights(doc.weights, 2 ** doc.options.online.bits, where);
  return { options: doc.options, provenance: doc.provenance, nSpam: doc.nSpam, nHam: doc.nHam, counts, weights, fusion: { ...doc.fusion } };
}

/**
 * Most of the table stays zero (a 4-gram or token never seen hashes there:
 * 82% of the shipped model's 2^20), so only the non-zero weights are stored,
 * which keeps the file small and quick to load.
 */
function encodeWeights(weights: Float32Array): { index: string; value: string } {
  let n = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] !== 0) n++;
  const index = Buffer.alloc(n * 4);
  const value = Buffer.alloc(n * 4);
  for (let i = 0, j = 0; i < weights.length; i++) {
    if (weights[i] === 0) continue;
    index.writeUInt32LE(i, j * 4);
    value.writeFloatLE(weights[i]!, j * 4);
    j++;
  }
  return { index: index.toString('base64'), value: value.toString('base64') };
}

function decodeWeights(stored: { index: string; value: string }, size: number, where: string): Float32Array {
  const index = Buffer.from(stored.index, 'base64');
  const value = Buffer.from(stored.value, 'base64');
  if (index.length !== value.length || index.length % 4 !== 0) {
    throw new ClassifierError('MODEL_CORRUPT', `${where}: ${index.length / 4} weight indices for ${value.length / 4} values`);
  }
  // Copied into aligned typed arrays and read as such: a read per element
  // (readUInt32LE/readFloatLE) cost 10 ms of a 200 ms start-up. Little-endian,
  // as the file is written, on every platform Node runs here.
  const indices = aligned(index, Uint32Array);
  const values = aligned(value, Float32Array);
  const weights = new Float32Array(size);
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j]!;
    if (i >= size) throw new ClassifierError('MODEL_CORRUPT', `${where}: weight index ${i} outside the table of 2^bits = ${size}`);
    weights[i] = values[j]!;
  }
  return weights;
}

function aligned<T extends Uint32Array | Float32Array>(bytes: Buffer, Type: { new (length: number): T }): T {
  const out = new Type(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** sha256 of `{` + the bytes after the id's prefix, without the final newline: the canonical body's hash. */
function bodyHash(bytes: Buffer, prefixBytes: number): string {
  const end = bytes[bytes.length - 1] === 0x0a ? bytes.length - 1 : bytes.length;
  return createHash('sha256').update('{').update(bytes.subarray(prefixBytes, end)).digest('hex');
}

function canonicalBody(state: ModelState): string {
  const { spam, ham } = state.counts;
  const rows = new Map(state.counts.rows());
  const tokens = [...rows.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const body: ModelFileBody = {
    format: MODEL_FORMAT,
    version: (state.options.online.textChars ?? 0) > 0 ? MODEL_FORMAT_VERSION : 2,
    provenance: sortKeys(state.provenance),
    options: sortKeys(state.options),
    nSpam: state.nSpam,
    nHam: state.nHam,
    fusion: sortKeys(state.fusion),
    weights: encodeWeights(state.weights),
    spam: tokens.map((t) => spam[rows.get(t)!]!),
    ham: tokens.map((t) => ham[rows.get(t)!]!),
    tokens,
  };
  // One token per line keeps the file greppable and its diffs readable; the
  // counts are two columns in the same order (parsed much faster than a
  // [token, spam, ham] array per token).
  const head = JSON.stringify({ ...body, tokens: [] }).slice(0, -3);
  return `${head}[\n${tokens.map((t) => JSON.stringify(t)).join(',\n')}\n]}`;
}

function sortKeys<T>(value: T): T {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out as T;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
