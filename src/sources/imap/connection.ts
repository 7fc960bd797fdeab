/**
 * One logged-in IMAP connection with the mailbox selected, and the mapping of
 * imapflow's errors to ours. An ImapFlow instance connects once only: after a
 * drop it is thrown away and a fresh one is made (docs/findings.md).
 */
import type { ImapFlow, ImapFlowOptions, MailboxObject } from 'imapflow';
import {
  ImapAuthError,
  ImapConnectionError,
  ImapMailboxError,
  ImapTlsError,
  SourceAbortedError,
  SourceError,
  UidValidityChangedError,
  WriteBackError,
  JunkMailboxError,
} from '../errors.js';
import { newImapFlow } from './imapflow-module.js';
import { imapUrlOf, type ImapAddress } from './options.js';

export interface ImapConnection {
  readonly number: number;
  readonly client: ImapFlow;
  readonly uidValidity: number;
  readonly permanentFlags: ReadonlySet<string>;
  readonly esearch: boolean;
  /** Set once the socket closed or the client reported an error. */
  broken: Error | undefined;
  /** Frees this connection's slot in the per-account limit. */
  releaseSlot: () => void;
}

export interface ConnectParams {
  number: number;
  address: ImapAddress;
  flowOptions: ImapFlowOptions;
  writable: boolean;
  /** The UIDVALIDITY the source opened with; undefined on the first connection. */
  expectedUidValidity: number | undefined;
  releaseSlot: () => void;
  /** Budget of the whole set-up, from TCP connect to the mailbox selected. */
  setupTimeoutMs: number;
  /** Aborts the set-up (the operation that needs this connection was given up). */
  signal?: AbortSignal;
}

export async function openConnection(p: ConnectParams): Promise<ImapConnection> {
  if (p.signal?.aborted) throw new SourceAbortedError(`connection ${p.number} to ${imapUrlOf(p.address)} aborted before it started`);
  const client = await newImapFlow(p.flowOptions);
  const conn: ImapConnection = {
    number: p.number,
    client,
    uidValidity: 0,
    permanentFlags: new Set(),
    esearch: false,
    broken: undefined,
    releaseSlot: p.releaseSlot,
  };
  // Without an 'error' listener a dropped socket would crash the process.
  client.on('error', (err: Error) => {
    conn.broken ??= err;
  });
  client.on('close', () => {
    conn.broken ??= new ImapConnectionError(`connection ${p.number} to ${imapUrlOf(p.address)} closed`);
  });
  const guard = guardSetup(client, p);
  try {
    const mailbox = await logInAndSelect(client, p);
    const uidValidity = Number(mailbox.uidValidity);
    if (p.expectedUidValidity !== undefined && uidValidity !== p.expectedUidValidity) {
      throw new UidValidityChangedError(imapUrlOf(p.address), p.expectedUidValidity, uidValidity);
    }
    return Object.assign(conn, {
      uidValidity,
      permanentFlags: mailbox.permanentFlags ?? new Set<string>(),
      esearch: client.capabilities.has('ESEARCH'),
    });
  } catch (err) {
    client.close();
    throw guard.interruption(err) ?? err;
  } finally {
    guard.end();
  }
}

async function logInAndSelect(client: ImapFlow, p: ConnectParams): Promise<MailboxObject> {
  try {
    await client.connect();
  } catch (err) {
    throw describeConnectError(err, p.address);
  }
  try {
    return await client.mailboxOpen(p.address.mailbox, { readOnly: !p.writable });
  } catch (err) {
    if (isImapNo(err)) {
      throw new ImapMailboxError(`cannot open mailbox ${JSON.stringify(p.address.mailbox)} on ${imapUrlOf(p.address)}: ${serverText(err)}`, { cause: err });
    }
    throw err;
  }
}

/**
 * imapflow times the TCP connect and the greeting, but nothing after them: a
 * server that greets and then never answers LOGIN or SELECT (an auth backend
 * that hangs) holds the connection until the socket timeout, minutes later,
 * and an abort of the operation waiting for it would go unheard. The guard
 * closes the client when the set-up budget runs out or the signal aborts;
 * imapflow then rejects the step in progress, and `interruption` says why.
 */
function guardSetup(client: ImapFlow, p: ConnectParams): { interruption: (err: unknown) => SourceError | undefined; end: () => void } {
  let why: 'timeout' | 'abort' | undefined;
  const interrupt = (reason: 'timeout' | 'abort'): void => {
    why ??= reason;
    client.close();
  };
  const timer = setTimeout(() => interrupt('timeout'), p.setupTimeoutMs);
  const onAbort = (): void => interrupt('abort');
  p.signal?.addEventListener('abort', onAbort, { once: true });
  const where = `connection ${p.number} to ${imapUrlOf(p.address)}`;
  return {
    interruption: (err) => {
      if (why === 'abort') return new SourceAbortedError(`${where} aborted while logging in`, { cause: err });
      if (why === 'timeout') {
        return new ImapConnectionError(
          `${where} did not log in and open ${JSON.stringify(p.address.mailbox)} within ${p.setupTimeoutMs / 1000} s (connectTimeoutMs)`,
          { cause: err },
        );
      }
      return undefined;
    },
    end: () => {
      clearTimeout(timer);
      p.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Logs out politely, then makes sure the socket is gone. */
export async function closeConnection(conn: ImapConnection, timeoutMs = 2_000): Promise<void> {
  try {
    if (!conn.broken) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        conn.client.logout(),
        new Promise((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
    }
  } catch {
    // logging out of a connection that is going away anyway
  } finally {
    conn.client.close();
    conn.releaseSlot();
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

interface FlowError extends Error {
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  responseStatus?: string;
  _err?: Error & { code?: string };
}

/** Turns a failed connect/login into one of our errors (auth and TLS are final; the rest may be retried). */
export function describeConnectError(err: unknown, address: ImapAddress): SourceError {
  const e = err as FlowError;
  const where = `${address.host}:${address.port}`;
  const code = e.code ?? e._err?.code;
  if (e.authenticationFailed && e.serverResponseCode !== 'UNAVAILABLE') {
    return new ImapAuthError(
      `IMAP login as ${JSON.stringify(address.user)} at ${where} was refused (${e.serverResponseCode ?? e.responseStatus ?? 'NO'}: ${e.responseText ?? e.message}); ` +
        'check the user in the URL and the password in SPAMZK_IMAP_PASSWORD or the password file',
      { cause: err },
    );
  }
  if (e.tlsFailed || (code !== undefined && TLS_CODES.has(code)) || /certificate/i.test(e.message)) {
    return new ImapTlsError(
      `TLS to ${where} failed (${code ?? e.message}): the server's certificate is not trusted; ` +
        'give its CA with the caFile option (--ca-file), or use insecure (--insecure) for a throwaway test server only',
      { cause: err },
    );
  }
  return new ImapConnectionError(`cannot connect to IMAP server ${where} (${code ?? e.message})`, { cause: err });
}

/** Errors that a fresh connection cannot cure: retrying them would only hide them. */
export function isFinal(err: unknown): boolean {
  return (
    err instanceof ImapAuthError ||
    err instanceof ImapTlsError ||
    err instanceof UidValidityChangedError ||
    err instanceof ImapMailboxError ||
    err instanceof WriteBackError ||
    err instanceof JunkMailboxError ||
    err instanceof SourceAbortedError
  );
}

function isImapNo(err: unknown): boolean {
  const e = err as FlowError;
  return e.responseStatus === 'NO' || e.responseStatus === 'BAD';
}

function serverText(err: unknown): string {
  const e = err as FlowError;
  return e.responseText ?? e.message;
}
