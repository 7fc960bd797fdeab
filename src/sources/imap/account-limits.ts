/**
 * Per-account limits shared by every IMAP source of this process that logs in
 * as the same user on the same server, so two sources on one Gmail account
 * together stay under its 15 connections.
 * - `connections`: a bottleneck whose running jobs are the open connections (a
 *   job lasts as long as its connection), capped at maxConcurrent.
 * - `requests`: a bottleneck that spaces IMAP commands `minTime` apart.
 * The first source of an account sets its limits; the entry is dropped when
 * the last one closes.
 *
 * Idle connections hold slots. So that one source's idle connections cannot
 * starve another source of the same account (a deadlock when both wait), a
 * source that finds no free slot asks the others to close their idle ones.
 */
import Bottleneck from 'bottleneck';

export interface AccountLimits {
  /** Waits for a connection slot; call the returned function when the connection is gone. */
  acquireConnectionSlot(): Promise<() => void>;
  /** Waits until the request rate allows one more command. */
  awaitRequestTurn(): Promise<void>;
  /** True while some source of this account waits for a connection slot. */
  slotWanted(): boolean;
  /** `closeIdle` is called when another source of the account needs a slot. */
  onSlotWanted(closeIdle: () => void): void;
  readonly maxConnections: number;
  /** Changes the account's request rate at once, for every source of it in this process (0 or Infinity: no limit). */
  setRequestRate(requestsPerSecond: number): void;
  /** The request rate in force (Infinity: no limit). */
  readonly requestsPerSecond: number;
  release(): void;
}

interface Entry {
  connections: Bottleneck;
  requests: Bottleneck | undefined;
  requestsPerSecond: number;
  maxConnections: number;
  refs: number;
  idleClosers: Set<() => void>;
}

const accounts = new Map<string, Entry>();

export function accountLimits(account: string, maxConnections: number, requestsPerSecond: number): AccountLimits {
  let entry = accounts.get(account);
  if (!entry) {
    entry = {
      connections: new Bottleneck({ maxConcurrent: maxConnections }),
      requests: isLimited(requestsPerSecond) ? new Bottleneck({ minTime: 1000 / requestsPerSecond }) : undefined,
      requestsPerSecond: isLimited(requestsPerSecond) ? requestsPerSecond : Number.POSITIVE_INFINITY,
      maxConnections,
      refs: 0,
      idleClosers: new Set(),
    };
    accounts.set(account, entry);
  }
  entry.refs++;
  const e = entry;
  let released = false;
  let myCloser: (() => void) | undefined;
  return {
    maxConnections: e.maxConnections,
    acquireConnectionSlot: () =>
      new Promise<() => void>((resolve, reject) => {
        const counts = e.connections.counts();
        if (counts.EXECUTING + counts.RUNNING >= e.maxConnections) {
          for (const closeIdle of e.idleClosers) if (closeIdle !== myCloser) closeIdle();
        }
        e.connections
          .schedule(() => new Promise<void>((free) => resolve(once(free))))
          .catch(reject);
      }),
    slotWanted: () => {
      const counts = e.connections.counts();
      return counts.RECEIVED + counts.QUEUED > 0;
    },
    onSlotWanted: (closeIdle) => {
      myCloser = closeIdle;
      e.idleClosers.add(closeIdle);
    },
    get requestsPerSecond() {
      return e.requestsPerSecond;
    },
    setRequestRate: (rate) => {
      // Bottleneck's updateSettings holds for the commands scheduled from now on: the next one obeys the new rate.
      if (!isLimited(rate)) {
        e.requestsPerSecond = Number.POSITIVE_INFINITY;
        e.requests?.updateSettings({ minTime: 0 });
        return;
      }
      e.requestsPerSecond = rate;
      if (e.requests) e.requests.updateSettings({ minTime: 1000 / rate });
      else e.requests = new Bottleneck({ minTime: 1000 / rate });
    },
    awaitRequestTurn: async () => {
      if (e.requests) await e.requests.schedule(() => Promise.resolve());
    },
    release: () => {
      if (released) return;
      released = true;
      if (myCloser) e.idleClosers.delete(myCloser);
      if (--e.refs === 0 && accounts.get(account) === e) accounts.delete(account);
    },
  };
}

function isLimited(requestsPerSecond: number): boolean {
  return requestsPerSecond > 0 && Number.isFinite(requestsPerSecond);
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
