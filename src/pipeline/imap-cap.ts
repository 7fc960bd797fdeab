/**
 * The fleet-wide cap on one IMAP account's connections: a LeaseSemaphore at
 * `<root>/semaphores/imap-<hash of host:port/user>` with the account's limit as
 * its N, handed to the IMAP source as its ConnectionCap (sources know nothing
 * of ZooKeeper). Each new connection takes a lease and returns it when it
 * closes, so every processor of every machine together stays under the limit.
 *
 * The leases live on a session of their own: the coordination Processor keeps
 * its session private and replaces it when it is lost, and a lease must not
 * outlive the session that made it. This cap likewise starts a session on
 * first use and a fresh one whenever the last was lost, so each connect uses
 * the current session; a lost session aborts its leases' signals, which
 * closes their connections (ImapSource).
 */
import { createHash } from 'node:crypto';
import { LeaseSemaphore, LifecycleError, ZkSession, type Lease, type ZkAuth } from '../coordination/index.js';
import { isImapLocation, parseImapUrl, type ConnectionCap, type ConnectionLease } from '../sources/index.js';
import type { ProcessorSettings } from './settings.js';

export interface FleetConnectionCapOptions {
  readonly connectString: string;
  readonly auth?: ZkAuth;
  readonly sessionTimeoutMs: number;
  /** Root znode of the fleet. */
  readonly zkRoot: string;
  /** The `imap(s)://user@host:port/...` URL whose account is capped. */
  readonly imapUrl: string;
  /** Connections the whole fleet may hold on the account at once. */
  readonly maxConnections: number;
  /** Written into each lease znode (the processor id), for operators. */
  readonly holder: string;
}

/** `<root>/semaphores/imap-<16 hex>`: one path per account, whatever the mailbox. */
export function imapSemaphorePath(zkRoot: string, imapUrl: string): string {
  const { host, port, user } = parseImapUrl(imapUrl);
  const hash = createHash('sha256').update(`${host}:${port}/${user}`).digest('hex').slice(0, 16);
  return `${zkRoot.replace(/\/$/, '')}/semaphores/imap-${hash}`;
}

/** The cap a run's settings ask for: only with imapMaxConnections and an IMAP source. */
export function fleetCapFor(settings: ProcessorSettings, auth: ZkAuth | undefined, holder: string): FleetConnectionCap | undefined {
  if (settings.imapMaxConnections === undefined || !isImapLocation(settings.source)) return undefined;
  return new FleetConnectionCap({
    connectString: settings.connectString,
    ...(auth ? { auth } : {}),
    sessionTimeoutMs: settings.sessionTimeoutMs,
    zkRoot: settings.zkRoot,
    imapUrl: settings.source,
    maxConnections: settings.imapMaxConnections,
    holder,
  });
}

export class FleetConnectionCap implements ConnectionCap {
  readonly path: string;
  #session: ZkSession | undefined;
  #starting: Promise<ZkSession> | undefined;
  #closed = false;

  constructor(private readonly opts: FleetConnectionCapOptions) {
    this.path = imapSemaphorePath(opts.zkRoot, opts.imapUrl);
  }

  async acquire(options: { signal?: AbortSignal; timeoutMs?: number }): Promise<ConnectionLease> {
    const session = await this.#current();
    const semaphore = new LeaseSemaphore(session, { path: this.path, maxLeases: this.opts.maxConnections, holder: this.opts.holder });
    const acquiring = semaphore.acquire(options);
    // Sent right behind the acquire's create and listing: the same round trip.
    const line = new LineWatch(session, this.path, this.opts.maxConnections);
    let lease: Lease;
    try {
      lease = await acquiring;
    } catch (err) {
      line.stop();
      throw err;
    }
    line.armAgainIfMissed(); // on a path's first use, the listing ran before the path existed
    return {
      signal: lease.signal,
      release: () => {
        line.stop();
        return lease.release();
      },
      contended: () => line.someoneWaits,
    };
  }

  /** Ends the session: any lease still held goes with it. */
  async close(): Promise<void> {
    this.#closed = true;
    const session = this.#session ?? (await this.#starting?.catch(() => undefined));
    this.#session = undefined;
    await session?.close();
  }

  #current(): Promise<ZkSession> {
    if (this.#closed) return Promise.reject(new LifecycleError(`the IMAP connection cap ${this.path} is closed`));
    if (this.#session?.alive) return Promise.resolve(this.#session);
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<ZkSession> {
    const previous = this.#session;
    this.#session = undefined;
    void previous?.close();
    const session = new ZkSession({
      connectString: this.opts.connectString,
      sessionTimeoutMs: this.opts.sessionTimeoutMs,
      ...(this.opts.auth ? { auth: this.opts.auth } : {}),
    });
    await session.start();
    if (this.#closed) {
      await session.close();
      throw new LifecycleError(`the IMAP connection cap ${this.path} was closed while its session started`);
    }
    this.#session = session;
    return session;
  }
}

/**
 * Whether anyone waits in the line of a semaphore: a children watch on its
 * path, re-armed on every change while our lease is held. It costs one
 * listing per change of the line (a connection opened or closed somewhere in
 * the fleet), never one per batch.
 */
class LineWatch {
  someoneWaits = false;
  #stopped = false;
  #armed = false;

  constructor(
    private readonly session: ZkSession,
    private readonly path: string,
    private readonly maxLeases: number,
  ) {
    this.#arm();
  }

  armAgainIfMissed(): void {
    if (!this.#armed) this.#arm();
  }

  stop(): void {
    this.#stopped = true;
  }

  #arm(): void {
    if (this.#stopped || !this.session.alive) return;
    this.session
      .getChildren(this.path, () => this.#arm())
      .then((children) => {
        this.#armed = true;
        this.someoneWaits = children.filter((n) => n.startsWith('lease-')).length > this.maxLeases;
      })
      .catch(() => {
        // No path yet (armAgainIfMissed retries) or the session is going: its leases go with it.
      });
  }
}
