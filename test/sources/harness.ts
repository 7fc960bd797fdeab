/** A private Dovecot per test file, with one user, and sources pointed at it. */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { startDovecot, stopDovecot, type DovecotOptions, type DovecotServer } from '../../src/servers/dovecot.js';
import { ImapSource, Secret, type ImapSourceOptions } from '../../src/sources/index.js';

export const USER = 'tester';
export const PASSWORD = 'correct horse battery staple';

let scratchRoot: string | undefined;

/** A fresh folder under this test file's scratch root (removed by cleanScratch). */
export function scratchDir(prefix: string): string {
  if (!scratchRoot) {
    scratchRoot = mkdtempSync(join(tmpdir(), 'spamzk-test-sources-'));
    chmodSync(scratchRoot, 0o711); // Dovecot's unprivileged processes must enter it
  }
  return mkdtempSync(join(scratchRoot, prefix));
}

export function cleanScratch(): void {
  if (scratchRoot) rmSync(scratchRoot, { recursive: true, force: true });
  scratchRoot = undefined;
}

export async function startTestDovecot(extra: Partial<DovecotOptions> = {}): Promise<DovecotServer> {
  return startDovecot({ dir: scratchDir('dovecot-'), users: [{ name: USER, password: PASSWORD }], ...extra });
}

export async function stopTestDovecot(server: DovecotServer | undefined): Promise<void> {
  if (server) await stopDovecot(server);
  cleanScratch();
}

/** A plain loopback source (no STARTTLS) with a fast backoff, unless overridden. */
export function plainSource(server: DovecotServer, extra: Partial<ImapSourceOptions> = {}, mailbox = 'INBOX'): ImapSource {
  return new ImapSource({
    url: `imap://${USER}@127.0.0.1:${server.imapPort}/${mailbox}`,
    password: new Secret(PASSWORD),
    allowPlaintext: true,
    requestsPerSecond: 0,
    backoffMs: 50,
    ...extra,
  });
}

/** A bare imapflow client to look at the mailbox from outside our source layer. */
export async function bareClient(server: DovecotServer): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1', port: server.imapPort, secure: false, doSTARTTLS: false,
    auth: { user: USER, pass: PASSWORD }, logger: false, disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** A message with a recognisable body, LF line ends (as files on disk have). */
export function message(n: number, extra = ''): Buffer {
  return Buffer.from(`From: sender${n}@example.org\nTo: ${USER}@example.org\nSubject: message ${n}\nMessage-ID: <m${n}@example.org>\n\nbody of message ${n}\n${extra}`);
}
