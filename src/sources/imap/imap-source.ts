/**
 * An IMAP mailbox as a MailSource. Keys are UIDs. Every command runs on a
 * pooled connection, waits for the per-account rate limit, and is retried on a
 * fresh connection after a backoff when the connection drops. A fetch that
 * breaks part-way resumes after the last UID it received, so no message is
 * lost or returned twice. Each new connection re-checks UIDVALIDITY: a change
 * ends the job with UidValidityChangedError rather than mixing numberings.
 */
import { delay } from '../../shared/index.js';
import type { KeyRange, MailSource, MessageKey, RawMessage, SourceIdentity } from '../types.js';
import { ImapConnectionError, SourceAbortedError, SourceStateError, UidValidityChangedError, WriteBackError } from '../errors.js';
import { accountLimits, type AccountLimits } from './account-limits.js';
import { ConnectionPool } from './connection-pool.js';
import { applyImapLimits, type AppliedImapLimits, type LiveImapLimits } from './live-limits.js';
import { isFinal, openConnection, type ImapConnection } from './connection.js';
import {
  imapFlowOptions,
  imapUrlOf,
  DEFAULT_ACCOUNT_MAX_CONNECTIONS,
  DEFAULT_CAPPED_IDLE_CLOSE_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  parseImapUrl,
  type ConnectionLease,
  type ImapAddress,
  type ImapObserver,
  type ImapSourceOptions,
} from './options.js';
import { parseUidSet } from './uid-set.js';
import { findJunkMailbox } from './junk-mailbox.js';
import { writeBackBatch, type WriteBackResult, type WriteBackVerdict } from './write-back.js';

type State = 'latent' | 'open' | 'closing' | 'closed';

export class ImapSource implements MailSource {
  readonly address: ImapAddress;
  readonly #options: ImapSourceOptions;
  #junk: Promise<string> | undefined;
  readonly #observer: ImapObserver;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** The fleet-wide lease each connection holds (with a connectionCap). */
  readonly #leases = new WeakMap<ImapConnection, ConnectionLease>();
  #state: State = 'latent';
  #limits: AccountLimits | undefined;
  #pool: ConnectionPool | undefined;
  #identity: SourceIdentity | undefined;
  #closed: Promise<void> | undefined;

  constructor(options: ImapSourceOptions) {
    this.address = parseImapUrl(options.url);
    this.#options = options;
    this.#observer = options.observer ?? {};
    // Fail on bad TLS/plaintext settings now, not at the first connection.
    imapFlowOptions(this.address, options, 'check');
  }

  async open(): Promise<SourceIdentity> {
    if (this.#state !== 'latent') throw new SourceStateError(`IMAP source ${imapUrlOf(this.address)} was already opened`);
    this.#state = 'open';
    if (this.#options.insecure) {
      (this.#options.warn ?? warnOnStderr)(
        `TLS certificate checks are OFF for ${imapUrlOf(this.address)} (insecure): anyone on the path can read this mailbox and its password`,
      );
    }
    const account = `${this.address.user}@${this.address.host}:${this.address.port}`;
    const accountMax = Math.max(1, this.#options.accountMaxConnections ?? DEFAULT_ACCOUNT_MAX_CONNECTIONS);
    const limits = accountLimits(account, accountMax, this.#options.requestsPerSecond ?? 10);
    this.#limits = limits;
    const max = Math.min(Math.max(1, this.#options.maxConnections ?? 4), limits.maxConnections);
    const idleCloseMs = this.#options.connectionCap ? (this.#options.idleCloseMs ?? DEFAULT_CAPPED_IDLE_CLOSE_MS) : undefined;
    const wanted = (conn: ImapConnection): boolean => limits.slotWanted() || (this.#leases.get(conn)?.contended?.() ?? false);
    const pool = new ConnectionPool(max, (n, signal) => this.#connect(n, signal), wanted, idleCloseMs);
    limits.onSlotWanted(() => pool.closeIdle());
    this.#pool = pool;
    try {
      const uidValidity = await this.#run(async (conn) => {
        // UIDVALIDITY is a non-zero number (RFC 3501); a SELECT cut short leaves none, and a
        // job must never be identified (and planned) by that.
        if (!(Number.isSafeInteger(conn.uidValidity) && conn.uidValidity > 0)) {
          throw new ImapConnectionError(`connection ${conn.number} to ${imapUrlOf(this.address)} selected the mailbox without a UIDVALIDITY`);
        }
        return conn.uidValidity;
      });
      const expected = this.#options.expectUidValidity;
      if (expected !== undefined && expected !== uidValidity) throw new UidValidityChangedError(imapUrlOf(this.address), expected, uidValidity);
      this.#identity = { kind: 'imap', id: `${imapUrlOf(this.address)};UIDVALIDITY=${uidValidity}`, uidValidity };
      return this.#identity;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  get identity(): SourceIdentity | undefined {
    return this.#identity;
  }

  /** New limits while open, with no reconnect (live-limits.ts); returns the limits in force. */
  applyLimits(wanted: LiveImapLimits): AppliedImapLimits {
    if (!this.#limits || !this.#pool) throw new SourceStateError(`IMAP source ${imapUrlOf(this.address)} is not open: limits apply to an open source`);
    return applyImapLimits(this.#limits, this.#pool, wanted);
  }

  listKeys(): Promise<MessageKey[]> {
    return this.#track(() => this.#run((conn) => this.#searchUids(conn, '1:*')));
  }

  async listKeysAfter(after: MessageKey): Promise<MessageKey[]> {
    // "N:*" also matches the highest UID when that is below N (RFC 3501 §6.4.8), hence the filter.
    const uids = await this.#track(() => this.#run((conn) => this.#searchUids(conn, `${Math.floor(after) + 1}:*`)));
    return uids.filter((uid) => uid > after);
  }

  fetchRange(range: KeyRange, signal?: AbortSignal, onProgress?: (received: number) => void): Promise<RawMessage[]> {
    const got = new Map<number, Buffer>();
    let resumeFrom = range.first;
    const fetchOnce = async (conn: ImapConnection): Promise<void> => {
      if (resumeFrom > range.last) return;
      await this.#requestTurn(conn, 'fetch');
      let highest = resumeFrom - 1;
      let ascending = true;
      // imapflow's fetch() yields nothing, silently, when no mailbox is selected: that is no answer.
      if (!conn.client.mailbox) throw this.#noMailbox(conn);
      // An abort (e.g. the batch's claim was lost) must not wait for a long fetch to end: drop the connection.
      const onAbort = (): void => conn.client.close();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        // Only collect here: issuing any command inside this loop deadlocks imapflow (docs/findings.md).
        for await (const msg of conn.client.fetch(`${resumeFrom}:${range.last}`, { uid: true, source: true }, { uid: true })) {
          if (msg.uid < range.first || msg.uid > range.last || !msg.source) continue;
          if (msg.uid <= highest) ascending = false;
          highest = Math.max(highest, msg.uid);
          if (!got.has(msg.uid)) got.set(msg.uid, msg.source);
          this.#observer.onFetched?.({ key: msg.uid, bytes: msg.source.length, connection: conn.number });
          onProgress?.(got.size);
        }
      } finally {
        signal?.removeEventListener('abort', onAbort);
        // Servers answer in sequence order, which is UID order; if one ever did not, refetch
        // the whole range on a retry (the map drops duplicates) rather than risk a gap.
        resumeFrom = ascending ? highest + 1 : range.first;
      }
      this.#checkUidValidity(conn);
      if (conn.broken) throw conn.broken;
      if (!conn.client.mailbox) throw this.#noMailbox(conn);
      resumeFrom = range.last + 1;
    };
    const progress = (): number => got.size;
    return this.#track(() =>
      this.#run(fetchOnce, signal, progress).then(() =>
        [...got.entries()].sort((a, b) => a[0] - b[0]).map(([key, raw]) => ({ key, raw })),
      ),
    );
  }

  /** Sets $Junk/$NotJunk or moves spam to the Junk mailbox; needs the writeBack option. */
  async writeBack(verdicts: readonly WriteBackVerdict[]): Promise<WriteBackResult> {
    const mode = this.#options.writeBack ?? 'off';
    if (mode === 'off') {
      throw new WriteBackError(`write-back is off for ${imapUrlOf(this.address)}: open the source with writeBack 'keywords' or 'move' to change the mailbox`);
    }
    const junk = mode === 'move' ? await this.junkMailbox() : undefined;
    return this.#track(() =>
      this.#run(async (conn) => {
        await this.#requestTurn(conn, mode === 'move' ? 'move' : 'store');
        return writeBackBatch(conn, mode, verdicts, junk, imapUrlOf(this.address));
      }),
    );
  }

  /**
   * The mailbox `move` puts spam in: the junkMailbox option (it must exist),
   * else the SPECIAL-USE \\Junk one; JunkMailboxError when there is none.
   * Looked up once (one LIST); a run checks it before any work starts.
   */
  junkMailbox(): Promise<string> {
    this.#junk ??= this.#track(() =>
      this.#run((conn) => findJunkMailbox(conn.client, this.#options.junkMailbox, this.address.mailbox, imapUrlOf(this.address))),
    );
    // A failed lookup (a dropped connection) is tried again next time.
    this.#junk.catch(() => (this.#junk = undefined));
    return this.#junk;
  }

  /** Waits for the commands in flight (a graceful stop drains), then logs out. Every caller waits for the end. */
  close(): Promise<void> {
    if (this.#state === 'latent') this.#state = 'closed';
    this.#closed ??= this.#drainAndClose();
    return this.#closed;
  }

  async #drainAndClose(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closing';
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    await this.#pool?.closeAll();
    this.#limits?.release();
    this.#state = 'closed';
  }

  /**
   * A new connection: a slot of this process's account limit, then (with a
   * connectionCap) a fleet-wide lease, then the login. The connection gives
   * both back when it closes; a lease lost with its ZooKeeper session closes
   * the connection, since another process may hold that place by now.
   */
  async #connect(number: number, signal: AbortSignal | undefined): Promise<ImapConnection> {
    const limits = this.#limits as AccountLimits;
    const releaseLocal = await limits.acquireConnectionSlot();
    const setupTimeoutMs = this.#options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let lease: ConnectionLease | undefined;
    try {
      lease = await this.#options.connectionCap?.acquire({ ...(signal ? { signal } : {}), timeoutMs: setupTimeoutMs });
    } catch (err) {
      releaseLocal();
      if (signal?.aborted) throw new SourceAbortedError(`IMAP operation on ${imapUrlOf(this.address)} aborted while waiting for a connection lease`, { cause: err });
      throw new ImapConnectionError(`no fleet-wide IMAP connection lease for ${imapUrlOf(this.address)}: ${(err as Error).message}`, { cause: err });
    }
    const held = lease ? this.#holdLease(lease, releaseLocal) : { releaseSlot: releaseLocal, watch: () => undefined };
    try {
      const conn = await openConnection({
        number,
        address: this.address,
        flowOptions: imapFlowOptions(this.address, this.#options, `spamzk-${number}`),
        writable: (this.#options.writeBack ?? 'off') !== 'off',
        expectedUidValidity: this.#identity?.uidValidity,
        releaseSlot: held.releaseSlot,
        setupTimeoutMs,
        signal,
      });
      held.watch(conn);
      return conn;
    } catch (err) {
      held.releaseSlot();
      throw err;
    }
  }

  /** Ties a lease to a connection: released together (once), and a lost lease closes the connection. */
  #holdLease(lease: ConnectionLease, releaseLocal: () => void): { releaseSlot: () => void; watch: (conn: ImapConnection) => void } {
    let watched: ImapConnection | undefined;
    const onLost = (): void => watched?.client.close();
    let released = false;
    return {
      releaseSlot: () => {
        if (released) return;
        released = true;
        lease.signal.removeEventListener('abort', onLost);
        releaseLocal();
        lease.release().catch((err: unknown) =>
          (this.#options.warn ?? warnOnStderr)(`could not return the IMAP connection lease of ${imapUrlOf(this.address)}: ${(err as Error).message}`),
        );
      },
      watch: (conn) => {
        watched = conn;
        this.#leases.set(conn, lease);
        if (lease.signal.aborted) conn.client.close();
        else lease.signal.addEventListener('abort', onLost, { once: true });
      },
    };
  }

  /**
   * Runs `op` on a pooled connection. A failure that is not final discards the
   * connection and retries on a fresh one after a doubling backoff; the attempt
   * count restarts whenever `progress` moved, so a long fetch on a flaky link
   * still finishes.
   */
  async #run<T>(op: (conn: ImapConnection) => Promise<T>, signal?: AbortSignal, progress?: () => number): Promise<T> {
    const maxAttempts = this.#options.maxAttempts ?? 5;
    const baseDelay = this.#options.backoffMs ?? 500;
    let failures = 0;
    let lastProgress = progress?.() ?? 0;
    for (;;) {
      this.#assertUsable();
      if (signal?.aborted) throw new SourceAbortedError(`IMAP operation on ${imapUrlOf(this.address)} aborted`);
      const pool = this.#pool as ConnectionPool;
      let conn: ImapConnection | undefined;
      try {
        conn = await pool.take(signal);
        const result = await op(conn);
        pool.give(conn);
        return result;
      } catch (err) {
        if (conn) pool.discard(conn);
        if (signal?.aborted) throw new SourceAbortedError(`IMAP operation on ${imapUrlOf(this.address)} aborted`, { cause: err });
        if (isFinal(err)) throw err;
        const now = progress?.() ?? 0;
        if (now > lastProgress) failures = 0;
        lastProgress = now;
        if (++failures >= maxAttempts) {
          throw new ImapConnectionError(
            `IMAP server ${this.address.host}:${this.address.port} failed ${failures} times in a row (${(err as Error).message}); check that it is up and reachable`,
            { cause: err },
          );
        }
        const delayMs = Math.min(baseDelay * 2 ** (failures - 1), 10_000);
        this.#observer.onReconnect?.({ attempt: failures, delayMs, error: err as Error });
        await sleep(delayMs, signal);
      }
    }
  }

  async #searchUids(conn: ImapConnection, uidRange: string): Promise<number[]> {
    await this.#requestTurn(conn, 'search');
    let uids: number[];
    // imapflow's search() resolves `false` when the command fails (a cut
    // connection included): that is no answer, never an empty mailbox.
    const failed = (): Error =>
      conn.broken ?? new ImapConnectionError(`UID SEARCH ${uidRange} on connection ${conn.number} to ${imapUrlOf(this.address)} got no answer`);
    if (conn.esearch) {
      // ESEARCH (RFC 4731) returns "1:500,502" instead of 6000 numbers: 10x cheaper to parse.
      const result = await conn.client.search({ uid: uidRange }, { uid: true, returnOptions: ['ALL'] });
      if (!result || typeof result !== 'object' || Array.isArray(result)) throw failed();
      uids = parseUidSet(result.all ?? '');
    } else {
      const result = await conn.client.search({ uid: uidRange }, { uid: true });
      if (!Array.isArray(result)) throw failed();
      uids = [...result].sort((a, b) => a - b);
    }
    this.#checkUidValidity(conn);
    return uids;
  }

  #noMailbox(conn: ImapConnection): Error {
    return conn.broken ?? new ImapConnectionError(`connection ${conn.number} to ${imapUrlOf(this.address)} lost its selected mailbox`);
  }

  async #requestTurn(conn: ImapConnection, kind: 'search' | 'fetch' | 'store' | 'move'): Promise<void> {
    await (this.#limits as AccountLimits).awaitRequestTurn();
    this.#observer.onRequest?.({ kind, at: Date.now(), connection: conn.number });
  }

  /** imapflow updates the selected mailbox's UIDVALIDITY when the server announces a new one. */
  #checkUidValidity(conn: ImapConnection): void {
    const expected = this.#identity?.uidValidity;
    const current = conn.client.mailbox ? Number(conn.client.mailbox.uidValidity) : undefined;
    if (expected !== undefined && current !== undefined && current !== expected) {
      throw new UidValidityChangedError(imapUrlOf(this.address), expected, current);
    }
  }

  #assertUsable(): void {
    if (this.#state === 'latent') throw new SourceStateError(`IMAP source ${imapUrlOf(this.address)}: call open() first`);
    if (this.#state === 'closed') throw new SourceStateError(`IMAP source ${imapUrlOf(this.address)} is closed`);
  }

  /** Starts `start` unless the source is not open, and remembers it until it settles (close() drains). */
  #track<T>(start: () => Promise<T>): Promise<T> {
    if (this.#state !== 'open') {
      const what = this.#state === 'latent' ? 'not open yet: call open() first' : 'closed';
      return Promise.reject(new SourceStateError(`IMAP source ${imapUrlOf(this.address)} is ${what}`));
    }
    const work = start();
    this.#inFlight.add(work);
    const done = (): void => {
      this.#inFlight.delete(work);
    };
    work.then(done, done);
    return work;
  }
}

function warnOnStderr(message: string): void {
  process.stderr.write(`spamzk: WARNING: ${message}\n`);
}

/** Waits out a backoff; an abort ends the wait and the operation. */
async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  await delay(ms, signal);
  if (signal?.aborted) throw new SourceAbortedError('IMAP operation aborted');
}
