/**
 * At most `limit` connections of one source: an idle one is reused, a broken
 * one is discarded (and its account slot freed), and a caller waits when all
 * are busy. With `idleCloseMs`, a connection idle that long is closed: under a
 * fleet-wide cap its lease is then free for another process, whose waiters
 * this pool cannot see.
 */
import { SourceAbortedError } from '../errors.js';
import { closeConnection, type ImapConnection } from './connection.js';

type Connect = (number: number, signal?: AbortSignal) => Promise<ImapConnection>;

export class ConnectionPool {
  readonly #idle: ImapConnection[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly #closing = new Set<Promise<void>>();
  readonly #idleTimers = new Map<ImapConnection, NodeJS.Timeout>();
  #open = 0;
  #numbered = 0;

  constructor(
    private limit: number,
    private readonly connect: Connect,
    /** True when another source (or process) of the account waits for `conn`'s place: then it is closed when released, not kept. */
    private readonly slotWanted: (conn: ImapConnection) => boolean = () => false,
    /** Close a connection idle this long; undefined = keep idle connections until closeIdle(). */
    private readonly idleCloseMs?: number,
  ) {}

  /** An idle live connection, a new one if under the limit, or the next one released; `signal` ends the wait. */
  async take(signal?: AbortSignal): Promise<ImapConnection> {
    for (;;) {
      const idle = this.#idle.pop();
      if (idle) {
        this.#stopIdleTimer(idle);
        if (!idle.broken) return idle;
        this.discard(idle);
        continue;
      }
      if (this.#open < this.limit) {
        this.#open++;
        try {
          return await this.connect(++this.#numbered, signal);
        } catch (err) {
          this.#open--;
          this.#wakeOne();
          throw err;
        }
      }
      await this.#nextRelease(signal);
    }
  }

  /** The pool's size in force. */
  get size(): number {
    return this.limit;
  }

  /**
   * A new size, at once: a larger pool wakes its waiters; a smaller one closes
   * idle connections above it now, and busy ones as they are given back.
   */
  resize(limit: number): void {
    this.limit = Math.max(1, Math.floor(limit));
    while (this.#open > this.limit && this.#idle.length > 0) {
      const conn = this.#idle.shift()!;
      this.#stopIdleTimer(conn);
      this.discard(conn);
    }
    for (let free = this.limit - this.#open; free > 0 && this.#waiters.length > 0; free--) this.#wakeOne();
  }

  give(conn: ImapConnection): void {
    if (this.#open > this.limit) return this.discard(conn); // the pool was made smaller (resize)
    if (conn.broken || (this.#waiters.length === 0 && this.slotWanted(conn))) return this.discard(conn);
    this.#idle.push(conn);
    if (this.idleCloseMs !== undefined) {
      const timer = setTimeout(() => this.#closeIfIdle(conn), this.idleCloseMs);
      timer.unref();
      this.#idleTimers.set(conn, timer);
    }
    this.#wakeOne();
  }

  discard(conn: ImapConnection): void {
    this.#open--;
    const closing = closeConnection(conn).finally(() => this.#closing.delete(closing));
    this.#closing.add(closing);
    this.#wakeOne();
  }

  /** Closes the idle connections (their slots go back to the account). */
  closeIdle(): void {
    for (const conn of this.#idle.splice(0)) {
      this.#stopIdleTimer(conn);
      this.discard(conn);
    }
  }

  #closeIfIdle(conn: ImapConnection): void {
    this.#idleTimers.delete(conn);
    const at = this.#idle.indexOf(conn);
    if (at < 0) return;
    this.#idle.splice(at, 1);
    this.discard(conn);
  }

  #stopIdleTimer(conn: ImapConnection): void {
    clearTimeout(this.#idleTimers.get(conn));
    this.#idleTimers.delete(conn);
  }

  /** Logs out every idle connection; call once no operation is in flight. */
  async closeAll(): Promise<void> {
    this.closeIdle();
    await Promise.allSettled([...this.#closing]);
  }

  #nextRelease(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new SourceAbortedError('IMAP operation aborted while waiting for a connection'));
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#waiters.splice(this.#waiters.indexOf(wake), 1);
        reject(new SourceAbortedError('IMAP operation aborted while waiting for a connection'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(wake);
    });
  }

  #wakeOne(): void {
    this.#waiters.shift()?.();
  }
}
