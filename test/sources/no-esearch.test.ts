import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadMailbox, type DovecotServer } from '../../src/servers/dovecot.js';
import { bareClient, message, plainSource, startTestDovecot, stopTestDovecot, USER } from './harness.js';

// A server without ESEARCH (RFC 4731): UIDs come from a plain UID SEARCH instead.
let server: DovecotServer;
beforeAll(async () => {
  server = await startTestDovecot({
    extraConfig: 'protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE UIDPLUS MOVE\n}\n',
  });
});
afterAll(async () => {
  await stopTestDovecot(server);
});

it('lists UIDs with gaps from a server without ESEARCH', async () => {
  const uids = [3, 4, 10, 200, 201, 5000];
  loadMailbox(server, { user: USER, uidValidity: 9, messages: uids.map((uid) => ({ uid, raw: message(uid) })) });
  const client = await bareClient(server);
  expect(client.capabilities.has('ESEARCH')).toBe(false);
  await client.logout();
  const source = plainSource(server);
  await source.open();
  expect(await source.listKeys()).toEqual(uids);
  expect(await source.listKeysAfter(200)).toEqual([201, 5000]);
  expect((await source.fetchRange({ first: 5, last: 300 })).map((m) => m.key)).toEqual([10, 200, 201]);
  await source.close();
});
