/**
 * IMAP source options and the translation of a `imap(s)://user@host:port/Mailbox`
 * URL into imapflow settings. TLS is verified by default; the only ways around
 * it are explicit: a CA file (a private server's own CA), `insecure` (loud), or
 * `allowPlaintext` (loopback only, for tests).
 */
import { readFileSync } from 'node:fs';
import type { ImapFlowOptions } from 'imapflow';
import { SourceLocationError } from '../errors.js';
import type { Secret } from '../secret.js';

export type WriteBackMode = 'off' | 'keywords' | 'move';

export interface ImapObserver {
  /** Before each IMAP command that goes through the rate limiter (after waiting for it). */
  onRequest?(info: { kind: 'search' | 'fetch' | 'store' | 'move'; at: number; connection: number }): void;
  /** Each message as it arrives (counts progress; called synchronously from the fetch loop). */
  onFetched?(info: { key: number; bytes: number; connection: number }): void;
  /** A connection was lost or failed; a fresh one follows after `delayMs`. */
  onReconnect?(info: { attempt: number; delayMs: number; error: Error }): void;
}

/** One held place under a ConnectionCap; it ends with `release()` or when `signal` aborts (e.g. its ZooKeeper session was lost). */
export interface ConnectionLease {
  release(): Promise<void>;
  readonly signal: AbortSignal;
  /**
   * True while someone else waits for a place under the cap: the connection is
   * then closed when it next goes idle (after the batch in hand) instead of
   * being kept for this process's next batch, so places rotate fairly.
   */
  contended?(): boolean;
}

/**
 * A cap on an account's connections shared beyond this process (the pipeline
 * gives a ZooKeeper LeaseSemaphore: the whole fleet together stays under it).
 * Sources know nothing of ZooKeeper: anything with this shape will do.
 */
export interface ConnectionCap {
  acquire(options: { signal?: AbortSignal; timeoutMs?: number }): Promise<ConnectionLease>;
}

export interface ImapSourceOptions {
  /** `imaps://user@host:993/INBOX` (implicit TLS) or `imap://user@host:143/INBOX` (STARTTLS). No password in it. */
  url: string;
  password: Secret;
  /** PEM file of the CA (or self-signed certificate) to trust instead of the system store. */
  caFile?: string;
  /** Accept any certificate. For throwaway test servers only: a warning is printed every time. */
  insecure?: boolean;
  /** `imap://` without STARTTLS; refused unless the host is a loopback address. */
  allowPlaintext?: boolean;
  /** Connections this source may open (default 4; never more than the account's cap). */
  maxConnections?: number;
  /**
   * Connections all sources of this process may hold on one account (user@host:port) together
   * (default 15: Gmail's per-account limit). The first source opened for an account sets it.
   */
  accountMaxConnections?: number;
  /**
   * Each new connection first takes a lease of this cap and gives it back when the connection
   * closes. Idle connections then close after `idleCloseMs`, so that a lease is never held by a
   * connection nobody uses while another process waits for one.
   */
  connectionCap?: ConnectionCap;
  /** With a connectionCap: close a connection left idle this long (default 1.5 s). */
  idleCloseMs?: number;
  /** IMAP commands per second on one account, all its sources together (default 10; 0 = unlimited). The first source sets it. */
  requestsPerSecond?: number;
  /** Consecutive failed attempts without progress before giving up (default 5). */
  maxAttempts?: number;
  /** First reconnect delay, doubled per attempt up to 10 s (default 500 ms). */
  backoffMs?: number;
  /**
   * Budget of a new connection: TCP, TLS, greeting, login and opening the mailbox (default
   * 15 s). A server that greets and then never answers LOGIN would otherwise hold it until
   * socketTimeoutMs.
   */
  connectTimeoutMs?: number;
  /**
   * A connection silent for this long is taken for dead and replaced (default 2 min). A hung
   * server or a partition never closes the socket, so without it a fetch would wait for ever.
   */
  socketTimeoutMs?: number;
  /**
   * The UIDVALIDITY a job was planned with: open() then fails with UidValidityChangedError
   * if the mailbox has another one, so a processor joining later cannot mix numberings.
   */
  expectUidValidity?: number;
  /** Write-back of verdicts; off by default (the mailbox is then opened read-only, EXAMINE). */
  writeBack?: WriteBackMode;
  /** Destination of spam for writeBack 'move' (it must exist; default: the mailbox with SPECIAL-USE \Junk, RFC 6154). */
  junkMailbox?: string;
  observer?: ImapObserver;
  /** Where the `insecure` warning goes (default stderr). */
  warn?: (message: string) => void;
}

/** Gmail allows 15 simultaneous IMAP connections per account. */
export const DEFAULT_ACCOUNT_MAX_CONNECTIONS = 15;

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

/**
 * Long enough to keep a connection from one batch to the next (a commit and a
 * claim take a few ms), short enough that a lease idles only briefly.
 */
export const DEFAULT_CAPPED_IDLE_CLOSE_MS = 1_500;

export interface ImapAddress {
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly mailbox: string;
}

export function parseImapUrl(url: string): ImapAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SourceLocationError(`not an IMAP URL: ${JSON.stringify(url)} (expected imaps://user@host:993/INBOX)`);
  }
  if (parsed.protocol !== 'imap:' && parsed.protocol !== 'imaps:') {
    throw new SourceLocationError(`not an IMAP URL: scheme ${parsed.protocol} (expected imap:// or imaps://)`);
  }
  if (parsed.password !== '') {
    throw new SourceLocationError('the IMAP URL holds a password: remove it and set SPAMZK_IMAP_PASSWORD or give a password file');
  }
  const user = decodeURIComponent(parsed.username);
  if (user === '') throw new SourceLocationError(`the IMAP URL names no user: write ${parsed.protocol}//USER@${parsed.host}/...`);
  const secure = parsed.protocol === 'imaps:';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? (secure ? 993 : 143) : Number(parsed.port);
  const mailbox = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'INBOX';
  return { secure, host, port, user, mailbox };
}

/** RFC 5092 form, no secret: the stable part of a source identity. */
export function imapUrlOf(a: ImapAddress): string {
  return `imap://${encodeURIComponent(a.user)}@${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}/${encodeURIComponent(a.mailbox)}`;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** imapflow settings for one connection. */
export function imapFlowOptions(address: ImapAddress, opts: ImapSourceOptions, id: string): ImapFlowOptions {
  if (opts.allowPlaintext && (address.secure || !isLoopback(address.host))) {
    throw new SourceLocationError(`plaintext IMAP is only allowed to a loopback imap:// address, not ${imapUrlOf(address)}`);
  }
  const isIp = /^[\d.]+$/.test(address.host) || address.host.includes(':');
  const timeout = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  return {
    host: address.host,
    port: address.port,
    secure: address.secure,
    doSTARTTLS: address.secure ? undefined : !opts.allowPlaintext,
    tls: {
      rejectUnauthorized: !opts.insecure,
      ...(opts.caFile !== undefined ? { ca: readCaFile(opts.caFile) } : {}),
      ...(isIp ? {} : { servername: address.host }),
    },
    auth: { user: address.user, pass: opts.password.reveal() },
    logger: false,
    // We issue commands back to back; auto-IDLE in between would cost two round trips per command.
    disableAutoIdle: true,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: opts.socketTimeoutMs ?? 120_000,
    id,
  };
}

function readCaFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new SourceLocationError(`cannot read the CA file ${file}: ${(err as Error).message}`);
  }
}
