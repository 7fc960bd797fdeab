/**
 * The ZooKeeper session of one `runJob` invocation (planning, the cadence's
 * extensions, progress polling, the report), renewed when it is lost.
 *
 * A ZkSession is single-use (src/coordination/session.ts), and a cadence run
 * lives for days: one kept for ever dies with the first outage longer than
 * the session timeout, and every later pass failed "session already lost"
 * (issue 12 item 3). This holds no ephemeral node that matters across a loss
 * (a planning lock lost with its session is taken over by the next
 * planner), so a step that fails on a lost session is simply run again on a
 * new one, within a bounded reconnect budget, and says so in the log.
 */
import zookeeper from 'node-zookeeper-client';
import { SessionLostError, ZkOperationError, ZkRequestTimeoutError, ZkSession, ZkUnreachableError, type ZkAuth } from '../coordination/index.js';
import { delay } from '../shared/index.js';
import type { Logger } from './settings.js';

export interface JobSessionOptions {
  readonly connectString: string;
  readonly sessionTimeoutMs: number;
  readonly auth?: ZkAuth;
  /** How long one step may keep trying on new sessions after losing its own (default 60 s). */
  readonly reconnectBudgetMs?: number;
  readonly log: Logger;
}

export const DEFAULT_RECONNECT_BUDGET_MS = 60_000;

/** The reconnect budget ran out: ZooKeeper stayed unreachable (exit code 3: the fleet's server). */
export class ZkOutageError extends Error {
  readonly code = 'ZK_OUTAGE';
  constructor(connectString: string, budgetMs: number, step: string, cause: unknown) {
    super(
      `ZooKeeper at ${connectString} stayed unreachable for ${Math.round(budgetMs / 1000)} s while ${step} (${(cause as Error).message}); the job is kept: rerun the same command to resume it`,
      { cause },
    );
    this.name = 'ZkOutageError';
  }
}

export class JobSession {
  private current: ZkSession | undefined;
  private closed = false;
  private starting: Promise<ZkSession> | undefined;
  /** Sessions started so far (1 = never renewed). */
  started = 0;

  constructor(private readonly opts: JobSessionOptions) {}

  /** The live session, starting a new one when there is none (or the last one was lost). */
  session(): Promise<ZkSession> {
    if (this.closed) return Promise.reject(new Error('job session closed'));
    if (this.current?.alive) return Promise.resolve(this.current);
    // One start at a time: the progress poll and a planning step may ask together.
    this.starting ??= this.startNew().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async startNew(): Promise<ZkSession> {
    const lost = this.current;
    this.current = undefined;
    if (lost) void lost.close();
    const s = new ZkSession({
      connectString: this.opts.connectString,
      sessionTimeoutMs: this.opts.sessionTimeoutMs,
      ...(this.opts.auth ? { auth: this.opts.auth } : {}),
    });
    await s.start();
    if (this.closed) {
      await s.close();
      throw new Error('job session closed');
    }
    this.started++;
    if (this.started > 1) this.opts.log.warn({ sessions: this.started }, 'new ZooKeeper session started in place of the lost one');
    this.current = s;
    return s;
  }

  /**
   * Runs `step` on the live session; when it fails because the session was
   * lost or ZooKeeper did not answer, runs it again on a new session, with a
   * backoff, until the reconnect budget is spent. Steps must be safe to
   * repeat (every step here re-reads what it acts on).
   */
  async run<T>(what: string, step: (s: ZkSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const budgetMs = this.opts.reconnectBudgetMs ?? DEFAULT_RECONNECT_BUDGET_MS;
    const giveUpAt = Date.now() + budgetMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        return await step(await this.session());
      } catch (err) {
        // A server never reached is a wrong address, not an outage: say so at once.
        if (!isOutage(err) || this.closed || this.started === 0) throw err;
        if (Date.now() + wait > giveUpAt) throw new ZkOutageError(this.opts.connectString, budgetMs, what, err);
        this.opts.log.warn({ step: what, err: (err as Error).message, retryInMs: wait }, 'ZooKeeper unavailable: retrying on a new session');
        await delay(wait, signal);
        signal?.throwIfAborted();
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.current?.close();
    this.current = undefined;
  }
}

/** A lost session or connection, a request with no reply, or no server at all: what waiting or a new session may cure. */
function isOutage(err: unknown): boolean {
  return (
    err instanceof SessionLostError ||
    err instanceof ZkRequestTimeoutError ||
    err instanceof ZkUnreachableError ||
    (err instanceof ZkOperationError && err.zkCode === zookeeper.Exception.CONNECTION_LOSS)
  );
}
