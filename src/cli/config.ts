/**
 * Run configuration from three places, strongest first: command-line flags,
 * SPAMZK_* environment variables, a JSON config file (--config or
 * SPAMZK_CONFIG). Everything is validated before any work starts; a bad value
 * stops the command with a message naming the setting, where it came from,
 * and what would be valid.
 *
 * Secrets are never settings here: the IMAP password comes from
 * SPAMZK_IMAP_PASSWORD or a password file (src/sources), the fleet's ZooKeeper
 * credentials from SPAMZK_ZK_AUTH or SPAMZK_ZK_AUTH_FILE (zk-auth.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { DEFAULT_ROOT } from '../coordination/index.js';
import { DEFAULT_MODEL_STORE, LOG_LEVELS, WRITE_BACK_MODES, type JobSettings, type LogLevel, type MetricsEndpoint, type ProcessorSettings } from '../pipeline/index.js';

import { ConfigError } from './config-error.js';
import { modelToRead } from './model-path.js';
import { checkConnectString, checkZnodePath } from './validate.js';

export { ConfigError };

export interface RunConfig {
  /** ZooKeeper connect string; undefined = start a local one for this run. */
  zk: string | undefined;
  /** Root znode under which jobs live. */
  zkRoot: string;
  processors: number;
  batchSize: number;
  model: string | undefined;
  sessionTimeoutMs: number;
  staleAfterMs: number;
  maxAttempts: number;
  /** Cadence: re-list the source every this many ms; undefined = one pass. */
  everyMs: number | undefined;
  reportDir: string | undefined;
  logLevel: LogLevel;
  progress: boolean;
  /** IMAP only. */
  imapPasswordFile: string | undefined;
  caFile: string | undefined;
  insecure: boolean;
  writeBack: ProcessorSettings['writeBack'];
  /** IMAP only: the account's connection limit, held fleet-wide through ZooKeeper leases; undefined = per process only. */
  imapMaxConnections: number | undefined;
  /** Serve Prometheus /metrics on this port (a local fleet: port + slot); undefined = no metrics. */
  metricsPort: number | undefined;
  metricsHost: string;
  /** With writeBack 'move': the mailbox to move spam to; with learn: where the user's client moves junk. Default: the SPECIAL-USE \\Junk one. */
  junkMailbox: string | undefined;
  /** Learn from the user's corrections (IMAP only). */
  learn: boolean;
  modelStore: string;
}

type Kind = 'string' | 'int' | 'duration' | 'bool';

interface Setting {
  key: keyof RunConfig;
  kind: Kind;
  env: string;
  /** Commander's name for the flag, when it differs from the key. */
  flag?: string;
  /** Allowed values, for enumerations. */
  oneOf?: readonly string[];
  min?: number;
  max?: number;
  /** Further checks of a string setting; throws ConfigError naming `origin`. */
  check?: (value: string, origin: string) => unknown;
  fallback: unknown;
}

/** Messages per batch unless told otherwise (why 250: see the comment on its setting below). */
export const DEFAULT_BATCH_SIZE = 250;

const SETTINGS: readonly Setting[] = [
  { key: 'zk', kind: 'string', env: 'SPAMZK_ZK', check: checkConnectString, fallback: undefined },
  { key: 'zkRoot', kind: 'string', env: 'SPAMZK_ZK_ROOT', check: checkZnodePath, fallback: DEFAULT_ROOT },
  { key: 'processors', kind: 'int', env: 'SPAMZK_PROCESSORS', min: 1, max: 64, fallback: 2 },
  // 250 keeps ZooKeeper's share of a batch (~4 round trips, a few ms) near 5%
  // of the work and makes one IMAP FETCH per batch, yet a reclaimed batch
  // costs well under a second of redone work.
  { key: 'batchSize', kind: 'int', env: 'SPAMZK_BATCH_SIZE', min: 1, max: 10_000, fallback: DEFAULT_BATCH_SIZE },
  { key: 'model', kind: 'string', env: 'SPAMZK_MODEL', fallback: undefined },
  { key: 'sessionTimeoutMs', flag: 'sessionTimeout', kind: 'duration', env: 'SPAMZK_SESSION_TIMEOUT', min: 2_000, max: 60_000, fallback: 10_000 },
  { key: 'staleAfterMs', flag: 'staleAfter', kind: 'duration', env: 'SPAMZK_STALE_AFTER', min: 1_000, max: 3_600_000, fallback: 60_000 },
  { key: 'maxAttempts', kind: 'int', env: 'SPAMZK_MAX_ATTEMPTS', min: 1, max: 100, fallback: 3 },
  { key: 'everyMs', flag: 'every', kind: 'duration', env: 'SPAMZK_EVERY', min: 1_000, max: 86_400_000, fallback: undefined },
  { key: 'reportDir', kind: 'string', env: 'SPAMZK_REPORT_DIR', fallback: undefined },
  {
    key: 'logLevel',
    kind: 'string',
    env: 'SPAMZK_LOG_LEVEL',
    oneOf: LOG_LEVELS,
    fallback: 'info',
  },
  { key: 'progress', kind: 'bool', env: 'SPAMZK_PROGRESS', fallback: true },
  { key: 'imapPasswordFile', kind: 'string', env: 'SPAMZK_IMAP_PASSWORD_FILE', fallback: undefined },
  { key: 'caFile', kind: 'string', env: 'SPAMZK_CA_FILE', fallback: undefined },
  { key: 'insecure', kind: 'bool', env: 'SPAMZK_INSECURE', fallback: false },
  { key: 'writeBack', kind: 'string', env: 'SPAMZK_WRITE_BACK', oneOf: WRITE_BACK_MODES, fallback: 'off' },
  // Gmail allows 15 connections per account; unset, each process keeps to its own limits only.
  { key: 'imapMaxConnections', kind: 'int', env: 'SPAMZK_IMAP_MAX_CONNECTIONS', min: 1, max: 1_000, fallback: undefined },
  { key: 'metricsPort', kind: 'int', env: 'SPAMZK_METRICS_PORT', min: 1, max: 65_535, fallback: undefined },
  { key: 'metricsHost', kind: 'string', env: 'SPAMZK_METRICS_HOST', check: checkListenAddress, fallback: '127.0.0.1' },
  { key: 'junkMailbox', kind: 'string', env: 'SPAMZK_JUNK_MAILBOX', fallback: undefined },
  { key: 'learn', kind: 'bool', env: 'SPAMZK_LEARN', fallback: false },
  { key: 'modelStore', kind: 'string', env: 'SPAMZK_MODEL_STORE', check: checkModelStore, fallback: DEFAULT_MODEL_STORE },
];

/** The model store is a folder (made on first write); a file in its place would fail the first learn, after work began. */
function checkModelStore(value: string, origin: string): void {
  if (value === '') throw new ConfigError(`${origin}: give the folder of the model store`);
  if (existsSync(value) && !statSync(value).isDirectory()) throw new ConfigError(`${origin}: ${value} is not a folder (the model store holds one file per learned model version)`);
}

/** The metrics server binds an address of this machine: an IP literal or localhost, never a name to resolve. */
function checkListenAddress(value: string, origin: string): void {
  if (value === 'localhost' || isIP(value) !== 0) return;
  throw new ConfigError(`${origin}: "${value}" is not an IP address to listen on (like 127.0.0.1, 0.0.0.0 or ::1)`);
}

/** Flag values as commander hands them over (camelCase names, strings or booleans). */
export type FlagValues = Record<string, unknown>;

export function resolveRunConfig(flags: FlagValues, env: NodeJS.ProcessEnv = process.env): RunConfig {
  const file = readConfigFile(flags, env);
  const config: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    const [raw, origin] = pick(setting, flags, env, file);
    config[setting.key] = raw === undefined ? setting.fallback : parseSetting(setting, raw, origin);
  }
  // One Junk mailbox serves both: where spam is moved, and where the user's client moves junk (learning).
  if (config.junkMailbox !== undefined && ((config.writeBack !== 'move' && config.learn !== true) || config.junkMailbox === '')) {
    throw new ConfigError(`--junk-mailbox ${JSON.stringify(config.junkMailbox)}: give a mailbox name, and only with --write-back move or --learn`);
  }
  const run = config as unknown as RunConfig;
  if (run.metricsPort !== undefined && run.metricsPort + run.processors - 1 > 65_535) {
    throw new ConfigError(`--metrics-port ${run.metricsPort}: ${run.processors} local processors need ports up to ${run.metricsPort + run.processors - 1}, beyond 65535`);
  }
  return run;
}

function readConfigFile(flags: FlagValues, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const path = (flags.config as string | undefined) ?? env.SPAMZK_CONFIG;
  if (path === undefined) return {};
  if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a JSON object`);
  }
  const known = new Set(SETTINGS.map((s) => s.key as string));
  for (const name of Object.keys(parsed)) {
    if (!known.has(name)) {
      throw new ConfigError(`config file ${path}: unknown setting "${name}" (known: ${[...known].join(', ')})`);
    }
  }
  return parsed as Record<string, unknown>;
}

function pick(
  setting: Setting,
  flags: FlagValues,
  env: NodeJS.ProcessEnv,
  file: Record<string, unknown>,
): [unknown, string] {
  const flag = setting.flag ?? setting.key;
  if (flags[flag] !== undefined) return [flags[flag], `--${kebab(flag)}`];
  if (env[setting.env] !== undefined && env[setting.env] !== '') return [env[setting.env], setting.env];
  if (file[setting.key] !== undefined) return [file[setting.key], `config file setting "${setting.key}"`];
  return [undefined, ''];
}

function parseSetting(setting: Setting, raw: unknown, origin: string): unknown {
  switch (setting.kind) {
    case 'string': {
      const value = String(raw);
      if (setting.oneOf && !setting.oneOf.includes(value)) {
        throw new ConfigError(`${origin}: "${value}" is not one of ${setting.oneOf.join(', ')}`);
      }
      setting.check?.(value, origin);
      return value;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (/^(1|true|yes|on)$/i.test(String(raw))) return true;
      if (/^(0|false|no|off)$/i.test(String(raw))) return false;
      throw new ConfigError(`${origin}: "${String(raw)}" is not a boolean (true/false)`);
    case 'int':
      return inRange(setting, origin, parseInteger(String(raw), origin));
    case 'duration':
      return inRange(setting, origin, parseDuration(String(raw), origin));
  }
}

function parseInteger(text: string, origin: string): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`${origin}: "${text}" is not a whole number`);
  return Number(text);
}

/** "500ms", "10s", "5m", "1h", or a bare number of milliseconds. */
export function parseDuration(text: string, origin = 'duration'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!match) throw new ConfigError(`${origin}: "${text}" is not a duration (like 500ms, 10s, 5m, 1h)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(match[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

function inRange(setting: Setting, origin: string, value: number): number {
  if ((setting.min !== undefined && value < setting.min) || (setting.max !== undefined && value > setting.max)) {
    const show = setting.kind === 'duration' ? formatDuration : String;
    throw new ConfigError(`${origin}: ${show(value)} is outside ${show(setting.min ?? 0)}..${show(setting.max ?? Infinity)}`);
  }
  return value;
}

/** A duration in the largest unit that keeps it whole: "10 ms", "2 s", "5 min", "24 h". */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1_000 && ms % 1_000 === 0) return `${ms / 1_000} s`;
  return `${ms} ms`;
}

/** Where a setting's value came from, as an error message names it ("--report-dir", "SPAMZK_REPORT_DIR", ...). */
export function originOf(key: keyof RunConfig, flags: FlagValues, env: NodeJS.ProcessEnv = process.env): string {
  const setting = SETTINGS.find((s) => s.key === key)!;
  const file = readConfigFile(flags, env);
  return pick(setting, flags, env, file)[1] || `--${kebab(setting.flag ?? setting.key)}`;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** What one processor is told: the run's settings for `source`, on the ensemble at `connectString`. */
export function processorSettingsFrom(config: RunConfig, source: string, connectString: string): ProcessorSettings {
  return {
    source,
    connectString,
    zkRoot: config.zkRoot,
    // Resolved here, once, so that every processor of the run loads the same file.
    model: modelToRead(config.model).path,
    batchSize: config.batchSize,
    sessionTimeoutMs: config.sessionTimeoutMs,
    staleAfterMs: config.staleAfterMs,
    maxAttempts: config.maxAttempts,
    imapPasswordFile: config.imapPasswordFile,
    caFile: config.caFile,
    insecure: config.insecure,
    writeBack: config.writeBack,
    ...(config.imapMaxConnections !== undefined ? { imapMaxConnections: config.imapMaxConnections } : {}),
    ...(config.junkMailbox !== undefined ? { junkMailbox: config.junkMailbox } : {}),
    ...(config.learn ? { learn: { modelStore: config.modelStore } } : {}),
  };
}

/** Where a processor serves /metrics, if anywhere. */
export function metricsEndpointFrom(config: RunConfig): MetricsEndpoint | undefined {
  return config.metricsPort === undefined ? undefined : { host: config.metricsHost, port: config.metricsPort };
}

/** What a whole run on this machine is told. */
export function jobSettingsFrom(config: RunConfig, source: string, connectString: string, childLogLevel: LogLevel): JobSettings {
  return {
    ...processorSettingsFrom(config, source, connectString),
    processors: config.processors,
    everyMs: config.everyMs,
    reportDir: config.reportDir,
    childLogLevel,
    ...(config.metricsPort !== undefined ? { metrics: metricsEndpointFrom(config)! } : {}),
  };
}
