/**
 * A fixture and the same files served by Dovecot give the same raw bytes, key
 * for UID: the fixture readers' canonical form (CRLF, see src/sources/raw-message.ts)
 * is what an IMAP server delivers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMailbox, type DovecotServer } from '../../src/servers/dovecot.js';
import { FixtureSource, splitMbox, type RawMessage } from '../../src/sources/index.js';
import { buildCorpusFixture } from '../../scripts/build-corpus-fixture.js';
import { plainSource, scratchDir, startTestDovecot, stopTestDovecot, USER } from './harness.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
let server: DovecotServer;

beforeAll(async () => {
  server = await startTestDovecot();
});
afterAll(async () => {
  await stopTestDovecot(server);
});

/** Serves `stored(key)` (the bytes as on disk) under UID 3·key+1, fetches it back, and compares with the fixture reader. */
async function expectAgreement(fixture: FixtureSource, stored: (key: number) => Buffer): Promise<number> {
  await fixture.open();
  const keys = await fixture.listKeys();
  const fromFixture = await fixture.fetchRange({ first: 1, last: keys.length });
  const uidOf = (key: number): number => 3 * key + 1;
  loadMailbox(server, { user: USER, uidValidity: 77, messages: keys.map((key) => ({ uid: uidOf(key), raw: stored(key) })) });
  const imap = plainSource(server);
  await imap.open();
  const fromImap = new Map<number, RawMessage>();
  // Batches of 200 UIDs, as a job would fetch them.
  for (let first = 1; first <= uidOf(keys.length); first += 200) {
    for (const m of await imap.fetchRange({ first, last: first + 199 })) fromImap.set(m.key, m);
  }
  await imap.close();
  expect(fromImap.size).toBe(keys.length);
  const differing = fromFixture.filter((m) => !fromImap.get(uidOf(m.key))?.raw.equals(m.raw)).map((m) => fixture.nameOf(m.key));
  expect(differing).toEqual([]);
  await fixture.close();
  return keys.length;
}

function fileBytes(root: string, fixture: FixtureSource): (key: number) => Buffer {
  return (key) => readFileSync(join(root, fixture.nameOf(key) as string));
}

describe('fixture readers agree with IMAP, byte for byte', () => {
  it('the SpamAssassin TEST split (1241 messages, one with bare CRs)', async () => {
    const dir = join(scratchDir('agree-'), 'sa-test');
    buildCorpusFixture({ out: dir });
    const fixture = new FixtureSource(dir);
    expect(await expectAgreement(fixture, fileBytes(dir, fixture))).toBe(1241);
  });

  it('the malformed messages (empty, no headers, binary, bare CR, no final newline, mixed line ends)', async () => {
    const dir = join(FIXTURES, 'malformed');
    const fixture = new FixtureSource(dir);
    expect(await expectAgreement(fixture, fileBytes(dir, fixture))).toBe(7);
  });

  it('the sample Maildir, .eml folder and mbox', async () => {
    for (const name of ['maildir/sample', 'eml/sample']) {
      const dir = join(FIXTURES, name);
      const fixture = new FixtureSource(dir);
      await expectAgreement(fixture, fileBytes(dir, fixture));
    }
    const mbox = join(FIXTURES, 'mbox', 'sample.mbox');
    const messages = splitMbox(readFileSync(mbox));
    expect(await expectAgreement(new FixtureSource(mbox), (key) => messages[key - 1] as Buffer)).toBe(4);
  });
});
