/**
 * One ZooKeeper session, made safe to build a claim protocol on.
 *
 * node-zookeeper-client never notices a hung server or a partition (only a TCP
 * close), reports `expired` only after it reconnects, and lets requests issued
 * while disconnected wait for ever. So this class owns:
 *   - a connect timeout and a timeout on every request;
 *   - a session deadline: when nothing has answered for 2/3 of the session
 *     timeout, the session is declared lost (`lost` event, `signal` aborts),
 *     because the server may expire it (and delete our ephemeral claims) at any
 *     moment after one session timeout without hearing from us;
 *   - `retries: 0`: the library's retry re-sends a create after a connection
 *     loss and can leave a second sequential node owned by our live session.
 * A session is single-use: after `lost` or `close()`, make a new one.
 */
import { performance } from 'node:perf_hooks';
import zookeeper, { type ACL, type Client, type Event, type Stat, type Transaction } from 'node-zookeeper-client';
import { createHash } from 'node:crypto';
import {
  LifecycleError,
  SessionLostError,
  ZkOperationError,
  ZkRequestTimeoutError,
  ZkUnreachableError,
  formatMs,
} from './errors.js';
import { TypedEmitter } from './typed-emitter.js';
import './zk-codes.js'; // before any client exists: unknown error codes must not kill the process

export interface ZkAuth {
  user: string;
  password: string;
}

export interface ZkSessionOptions {
  /** "host:port,host:port"; an optional chroot suffix ("/x") is passed through to the client. */
  connectString: string;
  /** Asked of the server; it bounds it to [2, 20] × tickTime. Default 10 s. */
  sessionTimeoutMs?: number;
  /** How long start() waits for the first connection. Default 10 s. */
  connectTimeoutMs?: number;
  /** How long any request may wait for its reply. Default: the session timeout. */
  requestTimeoutMs?: number;
  /** Digest credentials; when set, everything this session creates is readable and writable by these credentials only. */
  auth?: ZkAuth;
}

/** Counts of requests sent, by operation, for the coordination benchmark. */
export interface RequestCounts {
  reads: number;
  writes: number;
  byOp: Record<string, number>;
}

type SessionState = 'latent' | 'started' | 'lost' | 'closed';

export interface ZkSessionEvents extends Record<string, unknown[]> {
  lost: [SessionLostError];
  suspended: [];
  reconnected: [];
}

const WRITE_OPS = new Set(['create', 'setData', 'remove', 'multi', 'mkdirp']);

export class ZkSession extends TypedEmitter<ZkSessionEvents> {
  readonly connectString: string;
  readonly requestedSessionTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** ACLs applied to every node this session creates. */
  readonly acl: ACL[];
  readonly counts: RequestCounts = { reads: 0, writes: 0, byOp: {} };

  private client: Client | undefined;
  private state: SessionState = 'latent';
  private readonly abort = new AbortController();
  private watchdog: NodeJS.Timeout | undefined;
  /** Monotonic send time of the newest request that got a reply: the server heard from us then. */
  private lastHeardAt = 0;
  private probeInFlight = false;
  /** Monotonic time of the last watchdog tick, and of the end of the last event-loop stall it saw. */
  private lastTickAt = 0;
  private lastStallEndedAt = Number.NEGATIVE_INFINITY;
  /**
   * Requests made while the client is between servers, sent once it is
   * connected again. node-zookeeper-client queues the auth packet of a
   * reconnect *behind* the requests queued while disconnected, so the server
   * would see them unauthenticated and answer NO_AUTH (seen in the chaos run
   * after a leader kill; test/coordination/ensemble.test.ts).
   */
  private readonly untilConnected: Array<() => void> = [];

  constructor(private readonly opts: ZkSessionOptions) {
    super();
    this.connectString = opts.connectString;
    this.requestedSessionTimeoutMs = opts.sessionTimeoutMs ?? 10_000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? this.requestedSessionTimeoutMs;
    this.acl = opts.auth ? fleetAcl(opts.auth) : [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('world', 'anyone'))];
  }

  /** Aborts when the session is lost or closed: pass it to work that relies on this session's claims. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get alive(): boolean {
    return this.state === 'started';
  }

  /** The timeout the server granted (valid after start). */
  get sessionTimeoutMs(): number {
    return this.client?.getSessionTimeout() ?? this.requestedSessionTimeoutMs;
  }

  /** The server's session id in hex (for logs). */
  get sessionId(): string {
    return this.client?.getSessionId().toString('hex') ?? '';
  }

  async start(): Promise<void> {
    if (this.state !== 'latent') throw new LifecycleError(`ZkSession.start() called twice (state ${this.state})`);
    this.state = 'started';
    const client = zookeeper.createClient(this.connectString, {
      sessionTimeout: this.requestedSessionTimeoutMs,
      spinDelay: 100,
      retries: 0,
    });
    this.client = client;
    if (this.opts.auth) {
      client.addAuthInfo('digest', Buffer.from(`${this.opts.auth.user}:${this.opts.auth.password}`));
    }
    client.on('state', (s) => this.onClientState(s));
    const connected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
    client.connect();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.connectTimeoutMs);
    });
    const outcome = await Promise.race([connected, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      await this.shutdown('closed');
      throw new ZkUnreachableError(this.connectString, this.connectTimeoutMs);
    }
    this.lastHeardAt = performance.now();
    this.lastTickAt = this.lastHeardAt;
    const tick = Math.max(50, Math.floor(this.sessionTimeoutMs / 6));
    this.watchdog = setInterval(() => this.checkDeadline(), tick);
  }

  /** Closes the session (its ephemeral nodes go at once if the server is reachable). Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    await this.shutdown('closed');
  }

  // ---- requests -----------------------------------------------------------

  create(path: string, data: Buffer, mode: number): Promise<string> {
    return this.request('create', path, (cb) => this.live().create(path, data, this.acl, mode, cb));
  }

  async getData(path: string, watcher?: (e: Event) => void): Promise<{ data: Buffer; stat: Stat }> {
    return this.request('getData', path, (cb: (err: unknown, v: { data: Buffer; stat: Stat }) => void) => {
      const done = (err: unknown, data: Buffer, stat: Stat) => cb(err, { data: data ?? Buffer.alloc(0), stat });
      if (watcher) this.live().getData(path, watcher, done);
      else this.live().getData(path, done);
    });
  }

  /** The node's stat, or undefined when it does not exist. */
  exists(path: string, watcher?: (e: Event) => void): Promise<Stat | undefined> {
    return this.request('exists', path, (cb: (err: unknown, stat: Stat | undefined) => void) => {
      const done = (err: unknown, stat: Stat) => cb(err, stat ?? undefined);
      if (watcher) this.live().exists(path, watcher, done);
      else this.live().exists(path, done);
    });
  }

  getChildren(path: string, watcher?: (e: Event) => void): Promise<string[]> {
    return this.request('getChildren', path, (cb: (err: unknown, children: string[]) => void) => {
      if (watcher) this.live().getChildren(path, watcher, cb);
      else this.live().getChildren(path, cb);
    });
  }

  /** Plain (non-transaction) setData: here version 0 really means version 0. */
  setData(path: string, data: Buffer, version: number): Promise<Stat> {
    return this.request('setData', path, (cb) => this.live().setData(path, data, version, cb));
  }

  /** Plain (non-transaction) delete: here version 0 really means version 0. */
  remove(path: string, version: number): Promise<void> {
    return this.request('remove', path, (cb: (err: unknown) => void) => this.live().remove(path, version, cb));
  }

  /** Creates `path` and missing parents (persistent, with this session's ACL); existing nodes are fine. */
  mkdirp(path: string): Promise<string> {
    return this.request('mkdirp', path, (cb) => this.live().mkdirp(path, Buffer.alloc(0), this.acl, cb));
  }

  /**
   * One atomic multi. `build` adds the ops. Beware (node-zookeeper-client bug):
   * inside a transaction, version 0 in check/setData/remove is sent as -1
   * ("any version"); callers must only pass versions ≥ 1 where the version matters.
   */
  multi(name: string, build: (tx: Transaction) => void): Promise<MultiResult[]> {
    return this.request('multi', name, (cb) => {
      const tx = this.live().transaction();
      build(tx);
      tx.commit(cb as (err: unknown, results: MultiResult[]) => void);
    });
  }

  // ---- internals ----------------------------------------------------------

  private live(): Client {
    if (this.state !== 'started' || !this.client) {
      throw new SessionLostError(this.state === 'closed' ? 'session closed' : 'session already lost');
    }
    return this.client;
  }

  private request<T>(op: string, path: string, send: (cb: (err: unknown, value: T) => void) => void): Promise<T> {
    this.counts.byOp[op] = (this.counts.byOp[op] ?? 0) + 1;
    if (WRITE_OPS.has(op)) this.counts.writes++;
    else this.counts.reads++;
    const sentAt = performance.now();
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new ZkRequestTimeoutError(op, path, this.requestTimeoutMs));
      }, this.requestTimeoutMs);
      const finish = (err: unknown, value: T) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          const zkErr = toZkError(err, op, path);
          if (zkErr.zkCode !== zookeeper.Exception.CONNECTION_LOSS) this.heardAt(sentAt);
          reject(zkErr);
        } else {
          this.heardAt(sentAt);
          resolve(value);
        }
      };
      const dispatch = (): void => {
        if (settled) return;
        try {
          send(finish);
        } catch (err) {
          settled = true;
          clearTimeout(timer);
          reject(err);
        }
      };
      if (this.client?.getState() === zookeeper.State.SYNC_CONNECTED || this.state !== 'started') dispatch();
      else this.untilConnected.push(dispatch);
    });
  }

  private releaseWaitingRequests(): void {
    for (const dispatch of this.untilConnected.splice(0)) dispatch();
  }

  private heardAt(sentAt: number): void {
    if (sentAt > this.lastHeardAt) this.lastHeardAt = sentAt;
  }

  private checkDeadline(): void {
    if (this.state !== 'started') return;
    const now = performance.now();
    // Ticks come every timeout / 6; a gap of two timeout / 6 more means this process did not run.
    if (now - this.lastTickAt > this.sessionTimeoutMs / 3) this.lastStallEndedAt = now;
    this.lastTickAt = now;
    const silentMs = now - this.lastHeardAt;
    const deadlineMs = (this.sessionTimeoutMs * 2) / 3;
    if (silentMs > deadlineMs) {
      this.declareLost(`no reply from ${this.connectString} for ${formatMs(silentMs)} (session timeout ${formatMs(this.sessionTimeoutMs)})`);
      return;
    }
    // Idle sessions probe, so that the deadline measures the server, not our workload.
    if (silentMs > this.sessionTimeoutMs / 6 && !this.probeInFlight) {
      this.probeInFlight = true;
      this.exists('/')
        .catch(() => undefined)
        .finally(() => (this.probeInFlight = false));
    }
  }

  private onClientState(s: { name: string }): void {
    if (s === zookeeper.State.EXPIRED) this.declareLost('expired by the server');
    else if (s === zookeeper.State.AUTH_FAILED) this.declareLost('authentication failed (check the fleet credentials)');
    else if (s === zookeeper.State.DISCONNECTED && this.state === 'started') this.emit('suspended');
    else if (s === zookeeper.State.SYNC_CONNECTED && this.state === 'started') {
      // The auth packet is already queued ahead: what is sent from here on is authenticated.
      this.releaseWaitingRequests();
      this.emit('reconnected');
    }
  }

  private declareLost(reason: string): void {
    if (this.state !== 'started') return;
    // One more tick now: a stall that ends in this very callback has not been seen by the watchdog yet.
    const now = performance.now();
    if (now - this.lastTickAt > this.sessionTimeoutMs / 3) this.lastStallEndedAt = now;
    const stalled = this.lastStallEndedAt >= this.lastHeardAt;
    const err = new SessionLostError(stalled ? `${reason}; this process itself stalled meanwhile` : reason, stalled);
    void this.shutdown('lost', err);
    this.emit('lost', err);
  }

  private async shutdown(next: 'lost' | 'closed', reason?: SessionLostError): Promise<void> {
    this.state = next;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    if (!this.abort.signal.aborted) this.abort.abort(reason ?? new SessionLostError('session closed'));
    // They fail at once now (the session is gone), not at their timeout.
    this.releaseWaitingRequests();
    const client = this.client;
    if (client) await hardClose(client);
  }
}

export interface MultiResult {
  type: number;
  path?: string;
  stat?: Stat;
  err?: number;
}

/**
 * `client.close()` only queues a close-session request: with no live
 * connection the client keeps reconnecting for ever (a leaked socket and
 * timer). So after a grace period the socket is destroyed while the client is
 * in its CLOSING state, which makes it stop instead of retrying.
 */
async function hardClose(client: Client): Promise<void> {
  const cm = (client as unknown as { connectionManager: ConnectionManagerInternals }).connectionManager;
  const CLOSED = -2;
  const CLOSING = -1;
  if (cm.state === CLOSED) return;
  if (cm.state !== CLOSING) client.close();
  const deadline = performance.now() + 1_000;
  while (cm.state !== CLOSED) {
    if (performance.now() > deadline) {
      if (cm.connectTimeoutHandler) clearTimeout(cm.connectTimeoutHandler);
      cm.socket?.destroy();
    }
    await new Promise((r) => setTimeout(r, 20));
    // A reconnect scheduled before close may still open a socket: keep destroying until CLOSED.
    if (performance.now() > deadline + 2_000) break;
  }
}

interface ConnectionManagerInternals {
  state: number;
  socket?: { destroy(): void };
  connectTimeoutHandler?: NodeJS.Timeout | null;
}

function toZkError(err: unknown, op: string, path: string): ZkOperationError {
  if (err instanceof ZkOperationError) return err;
  const e = err as { code?: number; name?: string; message?: string };
  if (typeof e.code === 'number') return new ZkOperationError(e.code, e.name ?? 'UNKNOWN', op, path);
  return new ZkOperationError(zookeeper.Exception.SYSTEM_ERROR, e.message ?? String(err), op, path);
}

/** The digest ACL: only holders of these credentials may read, write, create or delete. */
export function fleetAcl(auth: ZkAuth): ACL[] {
  const digest = createHash('sha1').update(`${auth.user}:${auth.password}`).digest('base64');
  return [new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('digest', `${auth.user}:${digest}`))];
}
