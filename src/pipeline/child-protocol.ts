/**
 * The one process boundary of the pipeline: what a local fleet hands each
 * child processor, and what the child hands back.
 *
 * Out: a ChildOrder (the processor's settings, the job it must join, its log
 * level) as versioned JSON in one environment variable. It holds no secret:
 * the IMAP password and the ZooKeeper credentials reach the child only through
 * the environment it inherits, never its command line, where `ps` shows them.
 * The child validates the order before any work starts and names the first
 * bad field.
 *
 * Back: the processor's run summary, as one stdout line behind a tag, so that
 * nothing else a library might print on stdout is mistaken for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { SPAMZK_BIN } from '../shared/index.js';
import type { RunSummary } from '../coordination/index.js';
import { LOG_LEVELS, WRITE_BACK_MODES, type LogLevel, type MetricsEndpoint, type ProcessorSettings } from './settings.js';

export const CHILD_ORDER_ENV = 'SPAMZK_CHILD_ORDER';
const ORDER_VERSION = 1;
/** Starts the line that carries a processor's summary on its stdout. */
export const SUMMARY_TAG = 'spamzk-processor-summary ';

export interface ChildOrder {
  readonly settings: ProcessorSettings;
  /**
   * The job the fleet works on: a source that now makes another job (new
   * UIDVALIDITY) is refused. Undefined: the child joins whatever job its
   * source and model make (a fleet that has not opened the job itself).
   */
  readonly jobId?: string;
  readonly logLevel: LogLevel;
  /** Where this child serves /metrics (its own port); undefined = no metrics. */
  readonly metrics?: MetricsEndpoint;
  /** A fixture's scan saved by the parent (sources' saveSourceIndex): the child reads it instead of scanning. */
  readonly fixtureIndex?: string;
}

export interface ProcessorRunSummary extends RunSummary {
  readonly longestStallMs: number;
}

/** A child was handed an order it cannot use, or answered with a summary the fleet cannot read. */
export class ChildProtocolError extends Error {
  readonly code = 'CHILD_PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'ChildProtocolError';
  }
}

export function childOrderEnv(order: ChildOrder): Record<string, string> {
  return { [CHILD_ORDER_ENV]: JSON.stringify({ v: ORDER_VERSION, ...order }) };
}

/** The order a parent fleet left in `env`; undefined for a processor started by hand. */
export function readChildOrder(env: NodeJS.ProcessEnv): ChildOrder | undefined {
  const text = env[CHILD_ORDER_ENV];
  if (text === undefined || text === '') return undefined;
  const raw = parseJsonObject(text, CHILD_ORDER_ENV);
  const field = new FieldReader(raw, CHILD_ORDER_ENV);
  if (raw.v !== ORDER_VERSION) throw new ChildProtocolError(`${CHILD_ORDER_ENV}.v is ${JSON.stringify(raw.v)}; this spamzk reads v${ORDER_VERSION}`);
  const s = new FieldReader(field.object('settings'), `${CHILD_ORDER_ENV}.settings`);
  const settings: ProcessorSettings = {
    source: s.string('source'),
    connectString: s.string('connectString'),
    zkRoot: s.string('zkRoot'),
    model: s.optionalString('model'),
    batchSize: s.positiveInteger('batchSize'),
    sessionTimeoutMs: s.positiveInteger('sessionTimeoutMs'),
    staleAfterMs: s.positiveInteger('staleAfterMs'),
    maxAttempts: s.positiveInteger('maxAttempts'),
    imapPasswordFile: s.optionalString('imapPasswordFile'),
    caFile: s.optionalString('caFile'),
    insecure: s.boolean('insecure'),
    writeBack: s.oneOf('writeBack', WRITE_BACK_MODES),
    ...optional('imapMaxConnections', s.optionalPositiveInteger('imapMaxConnections')),
    junkMailbox: s.optionalString('junkMailbox'),
    ...learnSettingsOf(s),
  };
  const jobId = field.optionalString('jobId');
  const metrics = readMetricsEndpoint(field);
  const fixtureIndex = field.optionalString('fixtureIndex');
  return {
    settings,
    logLevel: field.oneOf('logLevel', LOG_LEVELS),
    ...optional('jobId', jobId),
    ...optional('metrics', metrics),
    ...optional('fixtureIndex', fixtureIndex),
  };
}

function readMetricsEndpoint(field: FieldReader): MetricsEndpoint | undefined {
  if (field.absent('metrics')) return undefined;
  const m = new FieldReader(field.object('metrics'), `${CHILD_ORDER_ENV}.metrics`);
  const port = m.positiveInteger('port');
  if (port > 65_535) throw new ChildProtocolError(`${CHILD_ORDER_ENV}.metrics.port must be a TCP port (1..65535), got ${port}`);
  return { host: m.string('host'), port };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function learnSettingsOf(s: FieldReader): Pick<ProcessorSettings, 'learn'> {
  if (s.optionalObject('learn') === undefined) return {};
  const l = new FieldReader(s.object('learn'), `${CHILD_ORDER_ENV}.settings.learn`);
  return { learn: { modelStore: l.string('modelStore') } };
}

export function summaryLine(summary: ProcessorRunSummary): string {
  return `${SUMMARY_TAG}${JSON.stringify(summary)}\n`;
}

/** The summary a child printed (its last tagged line), or undefined if it printed none. */
export function summaryFromStdout(stdout: string): ProcessorRunSummary | undefined {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith(SUMMARY_TAG));
  if (line === undefined) return undefined;
  const raw = parseJsonObject(line.slice(SUMMARY_TAG.length), 'processor summary');
  const f = new FieldReader(raw, 'processor summary');
  f.string('jobId');
  f.string('processorId');
  f.boolean('complete');
  for (const name of ['batchCount', 'committed', 'fenced', 'reclaimed', 'failed', 'quarantined', 'released', 'sessionsLost', 'spared', 'longestStallMs']) {
    f.count(name);
  }
  return raw as unknown as ProcessorRunSummary;
}

export interface ChildExit {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly summary?: ProcessorRunSummary;
  /** Set when the child printed a summary the fleet could not read. */
  readonly summaryError?: string;
}

export interface SpawnProcessorOptions {
  /** Added to the inherited environment (secrets for the child go here, never in the order). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where the child's stderr (its log) goes: the parent's stderr, or a callback per chunk. */
  readonly stderr?: 'inherit' | ((chunk: Buffer) => void);
  /** The executable and arguments before the source; `spamzk processor` unless a test says otherwise. */
  readonly command?: readonly string[];
}

export interface ProcessorChild {
  readonly child: ChildProcess;
  readonly exited: Promise<ChildExit>;
}

/**
 * V8 heap limits for a processor child. A processor's live heap is about
 * 30 MB (model included, measured by heap snapshot at 120,920 messages), but
 * left to its defaults V8 lets a busy process's heap grow to several times
 * that before collecting: 170 MB of RSS. A 2 MB young generation and a 128 MB
 * old-space ceiling make it collect sooner (about 103 MB, at the same
 * throughput); the ceiling is 4× the live heap, so it bounds growth without
 * risking a healthy processor (scripts/bench-memory.ts; docs/design.md,
 * "Memory"). Buffers of fetched mail live outside this heap.
 */
export const PROCESSOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--max-old-space-size=128'];

/** Starts one `spamzk processor` child on `order`. */
export function spawnProcessor(order: ChildOrder, opts: SpawnProcessorOptions = {}): ProcessorChild {
  const command = opts.command ?? [SPAMZK_BIN, 'processor'];
  const child = spawn(process.execPath, [...PROCESSOR_NODE_FLAGS, ...command, order.settings.source], {
    env: { ...process.env, ...opts.env, ...childOrderEnv(order) },
    stdio: ['ignore', 'pipe', typeof opts.stderr === 'function' ? 'pipe' : 'inherit'],
  });
  const onStderr = opts.stderr;
  if (typeof onStderr === 'function') child.stderr!.on('data', onStderr);
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ pid: child.pid ?? -1, code, signal, ...readSummary(stdout) }));
  });
  return { child, exited };
}

function readSummary(stdout: string): Pick<ChildExit, 'summary' | 'summaryError'> {
  try {
    const summary = summaryFromStdout(stdout);
    return summary ? { summary } : {};
  } catch (err) {
    return { summaryError: (err as Error).message };
  }
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ChildProtocolError(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ChildProtocolError(`${what} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Reads typed fields of a parsed object, naming the first bad one. */
class FieldReader {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly where: string,
  ) {}

  private bad(name: string, wanted: string): never {
    throw new ChildProtocolError(`${this.where}.${name} must be ${wanted}, got ${JSON.stringify(this.raw[name]) ?? 'nothing'}`);
  }

  optionalObject(name: string): Record<string, unknown> | undefined {
    return this.raw[name] === undefined || this.raw[name] === null ? undefined : this.object(name);
  }

  object(name: string): Record<string, unknown> {
    const v = this.raw[name];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.bad(name, 'an object');
    return v as Record<string, unknown>;
  }

  string(name: string): string {
    const v = this.raw[name];
    if (typeof v !== 'string' || v === '') this.bad(name, 'a non-empty string');
    return v as string;
  }

  optionalString(name: string): string | undefined {
    return this.raw[name] === undefined ? undefined : this.string(name);
  }

  absent(name: string): boolean {
    return this.raw[name] === undefined;
  }

  optionalPositiveInteger(name: string): number | undefined {
    return this.raw[name] === undefined ? undefined : this.positiveInteger(name);
  }

  boolean(name: string): boolean {
    const v = this.raw[name];
    if (typeof v !== 'boolean') this.bad(name, 'true or false');
    return v as boolean;
  }

  positiveInteger(name: string): number {
    const v = this.raw[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.bad(name, 'a whole number ≥ 1');
    return v as number;
  }

  count(name: string): number {
    const v = this.raw[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.bad(name, 'a number ≥ 0');
    return v as number;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const v = this.raw[name];
    if (typeof v !== 'string' || !allowed.includes(v as T)) this.bad(name, `one of ${allowed.join(', ')}`);
    return v as T;
  }
}
