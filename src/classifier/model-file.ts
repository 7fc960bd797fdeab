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
 * Version 2 added the regression weights and the fusion; a version 1 file is
 * refused with a clear message (retrain it).
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ClassifierError } from './errors.js';
import type { FusionWeights, ModelOptions, ModelProvenance, ModelState } from './model-types.js';

export const MODEL_FORMAT = 'spamzk-model';
export const MODEL_FORMAT_VERSION = 2;

type TokenRow = [string, number, number];

interface ModelFileBody {
  format: string;
  version: number;
  provenance: ModelProvenance;
  options: ModelOptions;
  nSpam: number;
  nHam: number;
  fusion: FusionWeights;
  /** base64 of the float32 weights, little-endian. */
  weights: string;
  tokens: TokenRow[];
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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ClassifierError('MODEL_NOT_FOUND', `no model file at ${path}: run \`spamzk train\` or pass --model`);
    throw new ClassifierError('MODEL_UNREADABLE', `cannot read the model ${path}: ${(err as Error).message}`);
  }
  return parseModel(text, path);
}

export function parseModel(text: string, where: string): ModelState {
  let doc: Partial<ModelFileBody> & { id?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (err) {
    throw new ClassifierError('MODEL_CORRUPT', `${where} is not a model file (bad JSON: ${(err as Error).message})`);
  }
  if (doc.format !== MODEL_FORMAT) throw new ClassifierError('MODEL_CORRUPT', `${where} is not a ${MODEL_FORMAT} file`);
  if (doc.version !== MODEL_FORMAT_VERSION) {
    throw new ClassifierError('MODEL_VERSION', `${where} has model format ${String(doc.version)}; this spamzk reads ${MODEL_FORMAT_VERSION}: retrain it`);
  }
  if (!Array.isArray(doc.tokens) || typeof doc.nSpam !== 'number' || typeof doc.nHam !== 'number' || !doc.options || !doc.provenance
    || typeof doc.weights !== 'string' || !doc.fusion) {
    throw new ClassifierError('MODEL_CORRUPT', `${where} lacks tokens, counts, weights, fusion, options or provenance`);
  }
  // The file is `{"id":"<hash>",` + body: hashing the text itself checks the id
  // without rebuilding the canonical body (which would double load time and memory).
  const prefix = `{"id":${JSON.stringify(doc.id)},`;
  const body = text.startsWith(prefix) ? '{' + text.slice(prefix.length).replace(/\n$/, '') : '';
  if (body === '' || sha256(body) !== doc.id) {
    throw new ClassifierError('MODEL_CORRUPT', `${where}: content does not match its id ${String(doc.id)} (edited or damaged); retrain it`);
  }
  const counts = new Map<string, [number, number]>();
  for (const row of doc.tokens) counts.set(row[0], [row[1], row[2]]);
  const weights = decodeWeights(doc.weights);
  const expected = 2 ** doc.options.online.bits;
  if (weights.length !== expected) {
    throw new ClassifierError('MODEL_CORRUPT', `${where} has ${weights.length} weights; its options say 2^${doc.options.online.bits} = ${expected}`);
  }
  return { options: doc.options, provenance: doc.provenance, nSpam: doc.nSpam, nHam: doc.nHam, counts, weights, fusion: { ...doc.fusion } };
}

function encodeWeights(weights: Float32Array): string {
  const bytes = Buffer.alloc(weights.length * 4);
  for (let i = 0; i < weights.length; i++) bytes.writeFloatLE(weights[i]!, i * 4);
  return bytes.toString('base64');
}

function decodeWeights(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  const weights = new Float32Array(bytes.length >> 2);
  for (let i = 0; i < weights.length; i++) weights[i] = bytes.readFloatLE(i * 4);
  return weights;
}

function canonicalBody(state: ModelState): string {
  const tokens: TokenRow[] = [];
  for (const [token, [spam, ham]] of state.counts) tokens.push([token, spam, ham]);
  tokens.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const body: ModelFileBody = {
    format: MODEL_FORMAT,
    version: MODEL_FORMAT_VERSION,
    provenance: sortKeys(state.provenance),
    options: sortKeys(state.options),
    nSpam: state.nSpam,
    nHam: state.nHam,
    fusion: sortKeys(state.fusion),
    weights: encodeWeights(state.weights),
    tokens,
  };
  // One token per line keeps the file greppable and its diffs readable.
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
