/** A private Dovecot per test file, with one user, and sources pointed at it. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../src/servers/dovecot.js';
import { ImapSource, Secret, type ImapSourceOptions } from '../../src/sources/index.js';

export const USER = 'tester';
export const PASSWORD = 'correct horse battery staple';

export async function startTestDovecot(): Promise<DovecotServer> {
  return startDovecot({ dir: mkdtempSync(join(tmpdir(), 'spamzk-dovecot-')), users: [{ name: USER, password: PASSWORD }] });
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
