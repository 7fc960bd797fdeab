/**
 * Session management for a long-lived member of the fleet: it keeps one live
 * ZkSession, replaces it when it is lost, and publishes the connection state
 * the recipes on top of it act on, as Curator's ConnectionStateListener does:
 *
 *   connected    the first session is up
 *   suspended    the client lost its server; the session (and our claims) may
 *                still live: hold on, trust nothing written until a reply
 *   reconnected  the same session is back, or a new one replaces a lost one
 *                (`newSession`: everything ephemeral must be made again)
 *   lost         the session must be assumed expired: its ephemeral claims
 *                and registrations are void, work relying on them stops
 *
 * Sessions are single-use (session.ts); this class is where the next one is
 * made, with a backoff, for up to `reconnectGiveUpMs`.
 */
import { delay } from './delay.js';
import { LifecycleError, SessionLostError, ZkUnreachableError } from './errors.js';
import { ZkSession, type RequestCounts, type ZkAuth } from './session.js';
import { TypedEmitter } from './typed-emitter.js';

export interface SessionKeeperOptions {
  connectString: string;
  auth?: ZkAuth;
  sessionTimeoutMs?: number;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** After losing a session, how long to keep trying to start a new one. Default 60 s. */
  reconnectGiveUpMs?: number;
}

export type ConnectionState = 'connected' | 'suspended' | 'reconnected' | 'lost';

export interface ConnectionStateChange {
  state: ConnectionState;
  session: ZkSession;
  /** On `reconnected`: true when a new session replaced a lost one. */
  newSession: boolean;
  /** On `lost`: why. */
  error?: SessionLostError;
}

export interface SessionKeeperEvents extends Record<string, unknown[]> {
  state: [ConnectionStateChange];
  /** A failed attempt to start a session that will be retried. */
  retrying: [{ error: ZkUnreachableError }];
}

export class SessionKeeper extends TypedEmitter<SessionKeeperEvents> {
  private current: ZkSession | undefined;
  private closed = false;
  private readonly pastCounts: RequestCounts = { reads: 0, writes: 0, byOp: {} };
  /** Ids of every session this keeper started: nodes they left behind are ours to remove. */
  private readonly ourSessionIds = new Set<string>();
  private readonly stop = new AbortController();

  constructor(private readonly opts: SessionKeeperOptions) {
    super();
  }

  /** ZooKeeper requests sent so far, over all sessions. */
  get counts(): RequestCounts {
    const now = this.current?.counts;
    const byOp = { ...this.pastCounts.byOp };
    for (const [op, n] of Object.entries(now?.byOp ?? {})) byOp[op] = (byOp[op] ?? 0) + n;
    return { reads: this.pastCounts.reads + (now?.reads ?? 0), writes: this.pastCounts.writes + (now?.writes ?? 0), byOp };
  }

  /** True when `sessionIdHex` (e.g. a node's ephemeralOwner) is one of the sessions this keeper started. */
  isOurs(sessionIdHex: string): boolean {
    return this.ourSessionIds.has(sessionIdHex);
  }

  /** The live session, starting a new one if there is none. The first connection failure throws at once. */
  async session(): Promise<ZkSession> {
    if (this.closed) throw new LifecycleError('session keeper closed');
    if (this.current?.alive) return this.current;
    this.drop();
    const giveUpAt = Date.now() + (this.opts.reconnectGiveUpMs ?? 60_000);
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      const s = new ZkSession(this.opts);
      try {
        await s.start();
      } catch (err) {
        const retry = err instanceof ZkUnreachableError && this.ourSessionIds.size > 0 && Date.now() <= giveUpAt && !this.closed;
        if (!retry) throw err;
        this.emit('retrying', { error: err });
        await delay(wait, this.stop.signal);
        continue;
      }
      if (this.closed) {
        await s.close();
        throw new LifecycleError('session keeper closed');
      }
      const first = this.ourSessionIds.size === 0;
      this.ourSessionIds.add(s.sessionId);
      this.current = s;
      this.follow(s);
      this.emit('state', { state: first ? 'connected' : 'reconnected', session: s, newSession: !first });
      return s;
    }
  }

  /** Gives up the current session (e.g. after a reply was lost and its state is unknown); the next session() makes a new one. */
  drop(): void {
    const s = this.current;
    if (!s) return;
    this.current = undefined;
    this.pastCounts.reads += s.counts.reads;
    this.pastCounts.writes += s.counts.writes;
    for (const [op, n] of Object.entries(s.counts.byOp)) this.pastCounts.byOp[op] = (this.pastCounts.byOp[op] ?? 0) + n;
    void s.close();
  }

  /** Closes the current session (its ephemeral nodes go at once if the server is reachable); no new one is made. */
  async close(): Promise<void> {
    this.closed = true;
    this.stop.abort();
    const s = this.current;
    if (s) await s.close();
    this.drop();
  }

  private follow(s: ZkSession): void {
    s.on('suspended', () => this.emit('state', { state: 'suspended', session: s, newSession: false }));
    s.on('reconnected', () => this.emit('state', { state: 'reconnected', session: s, newSession: false }));
    s.on('lost', (error) => this.emit('state', { state: 'lost', session: s, newSession: false, error }));
  }
}
