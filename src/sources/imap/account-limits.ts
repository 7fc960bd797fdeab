/**
 * Per-account limits shared by every IMAP source of this process that logs in
 * as the same user on the same server, so two sources on one Gmail account
 * together stay under its 15 connections.
 * - `connections`: a bottleneck whose running jobs are the open connections (a
 *   job lasts as long as its connection), capped at maxConcurrent.
 * - `requests`: a bottleneck that spaces IMAP commands `minTime` apart.
 * The first source of an account sets its limits; the entry is dropped when
 * the last one closes.
 */
import Bottleneck from 'bottleneck';

export interface AccountLimits {
  /** Waits for a connection slot; call the returned function when the connection is gone. */
  acquireConnectionSlot(): Promise<() => void>;
  /** Waits until the request rate allows one more command. */
  awaitRequestTurn(): Promise<void>;
  readonly maxConnections: number;
  release(): void;
}

interface Entry {
  connections: Bottleneck;
  requests: Bottleneck | undefined;
  maxConnections: number;
  refs: number;
}

const accounts = new Map<string, Entry>();

export function accountLimits(account: string, maxConnections: number, requestsPerSecond: number): AccountLimits {
  let entry = accounts.get(account);
  if (!entry) {
    entry = {
      connections: new Bottleneck({ maxConcurrent: maxConnections }),
      requests: requestsPerSecond > 0 && Number.isFinite(requestsPerSecond) ? new Bottleneck({ minTime: 1000 / requestsPerSecond }) : undefined,
      maxConnections,
      refs: 0,
    };
    accounts.set(account, entry);
  }
  entry.refs++;
  const e = entry;
  let released = false;
  return {
    maxConnections: e.maxConnections,
    acquireConnectionSlot: () =>
      new Promise<() => void>((resolve, reject) => {
        e.connections
          .schedule(() => new Promise<void>((free) => resolve(once(free))))
          .catch(reject);
      }),
    awaitRequestTurn: async () => {
      if (e.requests) await e.requests.schedule(() => Promise.resolve());
    },
    release: () => {
      if (released) return;
      released = true;
      if (--e.refs === 0 && accounts.get(account) === e) accounts.delete(account);
    },
  };
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      fn();
    }
  };
}
