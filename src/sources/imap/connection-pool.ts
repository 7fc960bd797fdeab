/**
 * At most `limit` connections of one source: an idle one is reused, a broken
 * one is discarded (and its account slot freed), and a caller waits when all
 * are busy.
 */
import { SourceAbortedError } from '../errors.js';
import { closeConnection, type ImapConnection } from './connection.js';

type Connect = (number: number, signal?: AbortSignal) => Promise<ImapConnection>;

export class ConnectionPool {
  readonly #idle: ImapConnection[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly #closing = new Set<Promise<void>>();
  #open = 0;
  #numbered = 0;

  constructor(
    private limit: number,
    private readonly connect: Connect,
    /** True when another source of the account waits for a slot: then a released connection is closed, not kept. */
    private readonly slotWanted: () => boolean = () => false,
  ) {}

  /** An idle live connection, a new one if under the limit, or the next one released; `signal` ends the wait. */
  async take(signal?: AbortSignal): Promise<ImapConnection> {
    for (;;) {
      const idle = this.#idle.pop();
      if (idle) {
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
    while (this.#open > this.limit && this.#idle.length > 0) this.discard(this.#idle.shift()!);
    for (let free = this.limit - this.#open; free > 0 && this.#waiters.length > 0; free--) this.#wakeOne();
  }

  give(conn: ImapConnection): void {
    if (this.#open > this.limit) return this.discard(conn);
    if (conn.broken || (this.#waiters.length === 0 && this.slotWanted())) return this.discard(conn);
    this.#idle.push(conn);
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
    for (const conn of this.#idle.splice(0)) this.discard(conn);
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
