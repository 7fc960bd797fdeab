/**
 * Limits an open IMAP source takes while it runs, without reconnecting: the
 * account's request rate (a Bottleneck's minTime, changed with updateSettings)
 * and the size of this source's connection pool (capped, as at open, by the
 * account's connection cap). An operator sets them for a whole fleet with
 * `spamzk config set` (the pipeline applies them on every member).
 */
import type { AccountLimits } from './account-limits.js';
import type { ConnectionPool } from './connection-pool.js';

export interface LiveImapLimits {
  /** IMAP commands per second on the account, all its sources in this process together (0 or Infinity: no limit). */
  readonly requestsPerSecond?: number;
  /** Connections this source may hold (at least 1; never more than the account's cap). */
  readonly maxConnections?: number;
}

/** The limits in force after a change. */
export interface AppliedImapLimits {
  readonly requestsPerSecond: number;
  readonly maxConnections: number;
}

export function applyImapLimits(account: AccountLimits, pool: ConnectionPool, wanted: LiveImapLimits): AppliedImapLimits {
  if (wanted.requestsPerSecond !== undefined) account.setRequestRate(wanted.requestsPerSecond);
  if (wanted.maxConnections !== undefined) pool.resize(Math.min(Math.max(1, wanted.maxConnections), account.maxConnections));
  return { requestsPerSecond: account.requestsPerSecond, maxConnections: pool.size };
}
