/**
 * A fleet-wide counting semaphore on ZooKeeper, in the manner of Curator's
 * InterProcessSemaphoreV2: at most `maxLeases` holders at a time across every
 * session that uses the same path.
 *
 *   <path>/lease-<nonce>-<seq>    EPHEMERAL_SEQUENTIAL, data = { holder, at }
 *
 * The first `maxLeases` children in sequence order hold a lease; the others
 * wait in line. A holder's lease is its znode, so a holder whose session dies
 * (crash, SIGKILL, partition) releases with the session: nothing to clean up.
 *
 * Waiting without a herd (each lease znode has at most two watchers):
 *   - a waiter deeper in the line watches only the lease just ahead of it;
 *   - the head of the line (exactly `maxLeases` ahead) watches the holders,
 *     because any of them may leave first;
 *   - a waiter that becomes a holder bumps its node's version (setData), which
 *     fires the watch of the waiter behind it: that one is now the head and
 *     must start watching the holders.
 * Uncontended, an acquire is one round trip: the create and the getChildren
 * are sent together, and ZooKeeper answers a session's requests in order, so
 * the listing already holds the new lease (scripts/bench-semaphore.ts).
 *
 * Every participant must use the same `maxLeases` for a path.
 */
import zookeeper from 'node-zookeeper-client';
import { SemaphoreConfigError, SemaphoreTimeoutError, SessionLostError, isAmbiguous, isZkError } from './errors.js';
import { newNonce } from './paths.js';
import type { ZkSession } from './session.js';

const LEASE_PREFIX = 'lease-';
const SEQ_DIGITS = 10;

export interface LeaseSemaphoreOptions {
  /** Parent znode of the leases, e.g. `<root>/semaphores/<name>`; created on first use. */
  path: string;
  /** At most this many holders at once (≥ 1). */
  maxLeases: number;
  /** Who holds a lease, for operators reading the znodes ([A-Za-z0-9._-], no secrets). */
  holder?: string;
}

export interface AcquireOptions {
  /** Aborting it while waiting removes our lease znode and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Give up after this long in line (SemaphoreTimeoutError). Default: wait for ever. */
  timeoutMs?: number;
}

/** The data of a lease znode. */
export interface LeaseData {
  holder: string;
  /** Wall-clock ms of the creator, for humans only. */
  at: number;
}

/** One held lease. `release()` is idempotent; the lease also ends with its session. */
export class Lease {
  private released: Promise<void> | undefined;

  constructor(
    private readonly session: ZkSession,
    /** Full path of the lease znode. */
    readonly path: string,
  ) {}

  /** Aborts when the session that holds the lease is lost: the lease may be someone else's from then on. */
  get signal(): AbortSignal {
    return this.session.signal;
  }

  release(): Promise<void> {
    this.released ??= removeLease(this.session, this.path);
    return this.released;
  }
}

export class LeaseSemaphore {
  private readonly holder: string;

  constructor(
    private readonly session: ZkSession,
    private readonly opts: LeaseSemaphoreOptions,
  ) {
    if (!Number.isInteger(opts.maxLeases) || opts.maxLeases < 1) {
      throw new SemaphoreConfigError(`maxLeases of ${opts.path} must be an integer ≥ 1, got ${opts.maxLeases}`);
    }
    if (!opts.path.startsWith('/') || opts.path.endsWith('/')) {
      throw new SemaphoreConfigError(`semaphore path ${JSON.stringify(opts.path)} must be absolute, without a trailing /`);
    }
    this.holder = opts.holder ?? 'anonymous';
    if (!/^[A-Za-z0-9._-]+$/.test(this.holder)) throw new SemaphoreConfigError(`lease holder ${JSON.stringify(this.holder)} must match [A-Za-z0-9._-]+`);
  }

  get path(): string {
    return this.opts.path;
  }

  get maxLeases(): number {
    return this.opts.maxLeases;
  }

  /** The current lease znode names, in line order (holders first). */
  async leases(): Promise<string[]> {
    try {
      return sortLeases(await this.session.getChildren(this.opts.path));
    } catch (err) {
      if (isZkError(err, zookeeper.Exception.NO_NODE)) return [];
      throw err;
    }
  }

  /** Takes a lease: at once if fewer than `maxLeases` are held, else after waiting in line. */
  async acquire(options: AcquireOptions = {}): Promise<Lease> {
    options.signal?.throwIfAborted();
    const stop = stopSignal(this.opts.path, this.opts.maxLeases, options);
    const { name, children } = await this.enterLine();
    const lease = new Lease(this.session, `${this.opts.path}/${name}`);
    try {
      const waited = await this.waitForTurn(name, children, stop.signal);
      if (waited) await this.announceHeld(lease.path);
      return lease;
    } catch (err) {
      await lease.release().catch(() => undefined); // lost session: the lease goes with it anyway
      throw stop.signal.aborted ? stop.signal.reason : err;
    } finally {
      stop.dispose();
    }
  }

  /** Creates our lease znode and lists the line in the same round trip. */
  private async enterLine(): Promise<{ name: string; children: string[] }> {
    const nonce = newNonce();
    const prefix = `${this.opts.path}/${LEASE_PREFIX}${nonce}-`;
    const data = Buffer.from(JSON.stringify({ holder: this.holder, at: Date.now() } satisfies LeaseData));
    for (let tries = 0; ; tries++) {
      const created = this.session.create(prefix, data, zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL);
      const listed = this.session.getChildren(this.opts.path);
      const [c, l] = await Promise.allSettled([created, listed]);
      if (c.status === 'fulfilled') {
        const name = c.value.slice(this.opts.path.length + 1);
        if (l.status === 'fulfilled') return { name, children: l.value };
        return { name, children: await this.listOrWithdraw(name) };
      }
      const err: unknown = c.reason;
      if (tries < 2 && isZkError(err, zookeeper.Exception.NO_NODE)) {
        await this.session.mkdirp(this.opts.path); // first use of this path: one more round trip, once
        continue;
      }
      if (tries < 2 && isAmbiguous(err) && this.session.alive) {
        // The create may have been applied with its reply lost: find it by our nonce, never leave a second one.
        const mine = (await this.session.getChildren(this.opts.path)).find((n) => n.startsWith(`${LEASE_PREFIX}${nonce}-`));
        if (mine) return { name: mine, children: await this.listOrWithdraw(mine) };
        continue;
      }
      throw err;
    }
  }

  /** Lists the line once more; if even that fails, withdraws our lease so that nothing is left behind. */
  private async listOrWithdraw(name: string): Promise<string[]> {
    try {
      return await this.session.getChildren(this.opts.path);
    } catch (err) {
      await removeLease(this.session, `${this.opts.path}/${name}`).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Resolves when fewer than `maxLeases` leases are ahead of ours; true if it had to wait.
   * Each pass sets one-shot watches and waits for one to fire, then lists the line again.
   */
  private async waitForTurn(name: string, firstListing: string[], signal: AbortSignal): Promise<boolean> {
    let children = firstListing;
    for (let pass = 0; ; pass++) {
      const line = sortLeases(children);
      const position = line.indexOf(name);
      if (position < 0) throw new SemaphoreConfigError(`lease ${this.opts.path}/${name} vanished while waiting (session lost or removed by hand)`);
      if (position < this.opts.maxLeases) return pass > 0;
      const fired = new AbortController();
      const wake = (): void => fired.abort();
      const isHead = position === this.opts.maxLeases;
      const watched = isHead ? line.slice(0, position) : [line[position - 1]!];
      const stats = await Promise.all(watched.map((n) => this.session.exists(`${this.opts.path}/${n}`, wake)));
      // A node already gone, or a waiter just ahead that already holds (version ≥ 1), means our listing is stale.
      const stale = stats.some((s) => s === undefined) || (!isHead && stats[0]!.version > 0);
      if (!stale) await untilAborted([fired.signal, signal, this.session.signal]);
      signal.throwIfAborted();
      this.session.signal.throwIfAborted();
      children = await this.session.getChildren(this.opts.path);
    }
  }

  /** Wakes the waiter behind us: it is now the head of the line and must watch the holders. */
  private async announceHeld(path: string): Promise<void> {
    await this.session.setData(path, Buffer.from(JSON.stringify({ holder: this.holder, at: Date.now() } satisfies LeaseData)), -1);
  }
}

async function removeLease(session: ZkSession, path: string): Promise<void> {
  try {
    await session.remove(path, -1);
  } catch (err) {
    // Already gone, or going with a session that is lost or closed: either way no longer held.
    if (isZkError(err, zookeeper.Exception.NO_NODE) || err instanceof SessionLostError) return;
    throw err;
  }
}

/** Lease names in line order: by the sequence ZooKeeper appended. */
function sortLeases(names: string[]): string[] {
  const seq = (n: string): number => Number.parseInt(n.slice(-SEQ_DIGITS), 10);
  return names.filter((n) => n.startsWith(LEASE_PREFIX)).sort((a, b) => seq(a) - seq(b));
}

/** The caller's signal, plus the timeout as a SemaphoreTimeoutError. */
function stopSignal(path: string, maxLeases: number, o: AcquireOptions): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const onAbort = (): void => ctl.abort(o.signal!.reason);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => ctl.abort(new SemaphoreTimeoutError(path, maxLeases, o.timeoutMs!)), o.timeoutMs);
  return {
    signal: ctl.signal,
    dispose() {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    },
  };
}

function untilAborted(signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const s of signals) s.removeEventListener('abort', done);
      resolve();
    };
    if (signals.some((s) => s.aborted)) return resolve();
    for (const s of signals) s.addEventListener('abort', done, { once: true });
  });
}
