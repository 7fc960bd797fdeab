/**
 * The live settings of a job (`spamzk config set JOB key=value ...`): their
 * names, how each value is written, and what a member does with them. The
 * coordination layer stores them as an opaque record of strings in the job's
 * control node; this module owns their meaning, so a bad key or value is
 * refused here, before anything is written, and a member applies only what
 * it understands.
 *
 *   imapRate          IMAP commands per second per account: "5/s", "300/min", "5", "unlimited"
 *   imapConnections   connections per processor (pool size): an integer from 1 to 100
 */
import type { ControlSnapshot } from '../coordination/index.js';
import { applySourceLimits, type AppliedImapLimits, type LiveImapLimits, type MailSource } from '../sources/index.js';
import type { Logger } from './settings.js';

export interface LiveSettings {
  /** Commands per second; Infinity: no limit. */
  readonly imapRate?: number;
  readonly imapConnections?: number;
}

export const LIVE_SETTING_NAMES = ['imapRate', 'imapConnections'] as const;
export type LiveSettingName = (typeof LIVE_SETTING_NAMES)[number];

const MAX_CONNECTIONS = 100;

/** A live setting with an unknown name or a value it cannot take. */
export class LiveSettingError extends Error {
  readonly code = 'BAD_SETTING';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = 'LiveSettingError';
  }
}

/** Validates a record of live settings (all or nothing); throws LiveSettingError naming the first bad one. */
export function parseLiveSettings(raw: Readonly<Record<string, string>>): LiveSettings {
  const out: { imapRate?: number; imapConnections?: number } = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === 'imapRate') out.imapRate = parseRate(value);
    else if (name === 'imapConnections') out.imapConnections = parseConnections(value);
    else throw new LiveSettingError(name, `unknown setting ${JSON.stringify(name)}; the live settings are ${LIVE_SETTING_NAMES.join(', ')}`);
  }
  return out;
}

function parseRate(value: string): number {
  const v = value.trim().toLowerCase();
  if (v === 'unlimited' || v === '0') return Number.POSITIVE_INFINITY;
  const m = /^(\d+(?:\.\d+)?)(?:\/(s|sec|min|m))?$/.exec(v);
  const n = m ? Number(m[1]) / (m[2] === 'min' || m[2] === 'm' ? 60 : 1) : Number.NaN;
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new LiveSettingError('imapRate', `imapRate=${JSON.stringify(value)} is not a rate; write it as 5/s, 300/min, 5 (per second) or unlimited`);
  }
  return n;
}

function parseConnections(value: string): number {
  const n = Number(value.trim());
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONNECTIONS) {
    throw new LiveSettingError('imapConnections', `imapConnections=${JSON.stringify(value)} must be an integer from 1 to ${MAX_CONNECTIONS}`);
  }
  return n;
}

/** What a member applied for one control version (logged; the version itself is acknowledged in ZooKeeper). */
export interface AppliedControl {
  readonly version: number;
  readonly state: ControlSnapshot['state'];
  /** The source's limits in force; undefined for a source without any (fixtures). */
  readonly limits: AppliedImapLimits | undefined;
}

/**
 * Applies a control version's settings to an open source. Settings a member
 * cannot read (written around the CLI's validation) are reported, not applied.
 */
export function applyControl(control: ControlSnapshot, source: MailSource, log: Logger): AppliedControl {
  let limits: AppliedImapLimits | undefined;
  try {
    const live = parseLiveSettings(control.settings);
    const wanted: LiveImapLimits = {
      ...(live.imapRate !== undefined ? { requestsPerSecond: live.imapRate } : {}),
      ...(live.imapConnections !== undefined ? { maxConnections: live.imapConnections } : {}),
    };
    limits = applySourceLimits(source, wanted);
  } catch (err) {
    log.error({ err: (err as Error).message, version: control.version }, 'job control settings not applied');
  }
  const applied: AppliedControl = { version: control.version, state: control.state, limits };
  log.info({ controlVersion: control.version, state: control.state, settings: control.settings, limits }, 'job control applied');
  return applied;
}
