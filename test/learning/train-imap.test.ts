/**
 * `spamzk train --imap` through the real CLI against a real Dovecot: spam from
 * the mailbox marked \Junk, ham limited to seen messages older than the given
 * age, from scratch or on top of a model, bodies read with BODY.PEEK.
 */
import { ImapFlow } from 'imapflow';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SpamModel } from '../../src/classifier/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCli, startTestServers, type TestServers } from '../pipeline/harness.js';
import { ODD_WORDS, oddMessage } from './learn-kit.js';

const USER = 'trainer';
const PASSWORD = 'train password 31a0';
const temp = tempDirs();
let servers: TestServers;
let user: ImapFlow;
const OLD = new Date('2020-03-01T10:00:00Z');
const note = (n: number): Buffer => Buffer.from(`From: a${n}@example.org\r\nTo: ${USER}@example.org\r\nSubject: lunch ${n}\r\n\r\nLunch on day ${n}, as usual.\r\n`);

beforeAll(async () => {
  servers = await startTestServers(USER, PASSWORD);
  user = new ImapFlow({ host: '127.0.0.1', port: servers.dovecot.imapPort, secure: false, doSTARTTLS: false, auth: { user: USER, pass: PASSWORD }, logger: false, disableAutoIdle: true });
  user.on('error', () => undefined);
  await user.connect();
  await user.mailboxCreate('Junk');
  for (let n = 1; n <= 3; n++) await user.append('Junk', oddMessage(n, ODD_WORDS)); // unseen spam
  for (let n = 1; n <= 3; n++) await user.append('INBOX', note(n), ['\\Seen'], OLD); // old, seen: ham
  await user.append('INBOX', note(4), [], OLD); // old but never seen: not judged yet
  await user.append('INBOX', note(5), ['\\Seen'], new Date()); // seen today: too recent
});

afterAll(async () => {
  await user?.logout().catch(() => undefined);
  await servers?.stop();
  temp.removeAll();
});

const train = (args: string[]) =>
  runCli(['train', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--json', ...args], { SPAMZK_IMAP_PASSWORD: PASSWORD });

it('trains from scratch on the \\Junk mailbox and on seen ham older than 7 days, leaving \\Seen alone', async () => {
  const out = join(temp.make('spamzk-train-'), 'model.json');
  const result = await train(['--from', 'empty', '--out', out]);
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ spam: 3, ham: 3, from: 'empty' });
  const model = SpamModel.load(out);
  expect(model.provenance.trained).toEqual({ spam: 3, ham: 3 });
  expect(model.classify(oddMessage(9, ODD_WORDS)).label).toBe('spam');
  await user.mailboxOpen('Junk');
  for await (const m of user.fetch('1:*', { flags: true })) expect(m.flags?.has('\\Seen')).toBe(false); // BODY.PEEK
});

it('trains on top of a model: the corrections are learned into the shipped model', async () => {
  const out = join(temp.make('spamzk-train-'), 'model.json');
  const result = await train(['--spam-mailbox', 'Junk', '--ham-older-than', '0', '--out', out]);
  expect(result.code, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ spam: 3, ham: 5 }); // 0 = every ham message
  const base = SpamModel.load();
  const model = SpamModel.load(out);
  expect(model.provenance.trained).toEqual(base.provenance.trained); // the base's training stays
  expect(model.provenance.learned).toEqual({ spam: 3, ham: 5 });
});

it('a bad --ham-older-than or --from exits 2 before reading any mail', async () => {
  expect((await train(['--ham-older-than', 'soon'])).code).toBe(2);
  expect((await train(['--from', 'scratch'])).code).toBe(2);
});
