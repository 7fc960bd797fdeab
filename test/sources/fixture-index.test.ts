/**
 * A fixture's saved scan (index-file.ts): a source opened from it is the same
 * source as one that scans, message for message, without scanning.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FixtureFormatError, FixtureSource, saveSourceIndex, SourceLocationError, type MailSource } from '../../src/sources/index.js';
import { cleanScratch, scratchDir } from './harness.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
afterAll(cleanScratch);

async function everything(source: MailSource) {
  const identity = await source.open();
  const keys = await source.listKeys();
  const messages = await source.fetchRange({ first: 1, last: keys.length });
  const names = keys.map((k) => (source as FixtureSource).nameOf(k));
  await source.close();
  return { identity, keys, names, messages };
}

async function savedIndexOf(location: string): Promise<string> {
  const file = join(scratchDir('index-'), 'fixture.idx');
  const scanning = new FixtureSource(location);
  await scanning.open();
  expect(saveSourceIndex(scanning, file)).toBe(true);
  await scanning.close();
  return file;
}

describe('a fixture opened from its saved index', () => {
  for (const layout of ['eml/sample', 'maildir/sample', 'mbox/sample.mbox']) {
    it(`gives the same identity, keys, names, labels and bytes as a scan (${layout})`, async () => {
      const location = join(FIXTURES, layout);
      const index = await savedIndexOf(location);
      const scanned = await everything(new FixtureSource(location));
      const indexed = await everything(new FixtureSource(location, { index }));
      expect(scanned.messages.length).toBeGreaterThanOrEqual(3);
      expect(indexed.identity).toEqual(scanned.identity);
      expect(indexed.keys).toEqual(scanned.keys);
      expect(indexed.names).toEqual(scanned.names);
      expect(indexed.messages.map((m) => [m.key, m.label, m.raw.toString('latin1')])).toEqual(
        scanned.messages.map((m) => [m.key, m.label, m.raw.toString('latin1')]),
      );
    });
  }

  it('does not scan: a file added after the index was saved is not seen, and the identity is the saved one', async () => {
    const location = join(scratchDir('eml-'), 'box');
    cpSync(join(FIXTURES, 'eml', 'sample'), location, { recursive: true });
    const index = await savedIndexOf(location);
    const before = await everything(new FixtureSource(location));
    writeFileSync(join(location, 'ham', 'zz-late.eml'), 'Subject: late\r\n\r\nhello\r\n');
    const rescanned = await everything(new FixtureSource(location));
    const indexed = await everything(new FixtureSource(location, { index }));
    expect(rescanned.keys.length).toBe(before.keys.length + 1);
    expect(rescanned.identity.id).not.toBe(before.identity.id);
    expect(indexed.identity).toEqual(before.identity);
    expect(indexed.keys).toEqual(before.keys);
  });

  it('reads a range from the middle of the mailbox with only that range fetched', async () => {
    const location = join(FIXTURES, 'mbox', 'sample.mbox');
    const index = await savedIndexOf(location);
    const whole = await everything(new FixtureSource(location));
    const source = new FixtureSource(location, { index });
    await source.open();
    const middle = await source.fetchRange({ first: 2, last: 3 });
    const beyond = await source.fetchRange({ first: whole.keys.length + 1, last: whole.keys.length + 10 });
    await source.close();
    expect(beyond).toEqual([]);
    expect(middle.map((m) => m.raw.toString('latin1'))).toEqual(whole.messages.slice(1, 3).map((m) => m.raw.toString('latin1')));
  });

  it('refuses an index made for another fixture, naming both', async () => {
    const index = await savedIndexOf(join(FIXTURES, 'eml', 'sample'));
    const other = new FixtureSource(join(FIXTURES, 'maildir', 'sample'), { index });
    await expect(other.open()).rejects.toThrow(FixtureFormatError);
    await expect(new FixtureSource(join(FIXTURES, 'maildir', 'sample'), { index }).open()).rejects.toThrow(/was made for .*eml\/sample, not .*maildir\/sample/);
  });

  it('names a missing, foreign or truncated index file', async () => {
    const location = join(FIXTURES, 'eml', 'sample');
    const missing = join(scratchDir('none-'), 'gone.idx');
    await expect(new FixtureSource(location, { index: missing }).open()).rejects.toThrow(SourceLocationError);
    await expect(new FixtureSource(location, { index: missing }).open()).rejects.toThrow(/gone\.idx cannot be opened \(ENOENT\)/);

    const foreign = join(scratchDir('foreign-'), 'labels.idx');
    writeFileSync(foreign, readFileSync(join(FIXTURES, 'maildir', 'sample', 'labels.txt')));
    await expect(new FixtureSource(location, { index: foreign }).open()).rejects.toThrow(/labels\.idx is not a spamzk fixture index/);

    const truncated = await savedIndexOf(location);
    const size = readFileSync(truncated).length;
    truncateSync(truncated, size - 3);
    const source = new FixtureSource(location, { index: truncated });
    await source.open(); // the header is whole; the missing bytes are the last names
    await expect(source.fetchRange({ first: 1, last: 100 })).rejects.toThrow(/fixture index is truncated/);
    await source.close();
    rmSync(truncated);
  });

  it('has nothing to save when it was itself opened from an index', async () => {
    const location = join(FIXTURES, 'eml', 'sample');
    const index = await savedIndexOf(location);
    const source = new FixtureSource(location, { index });
    await source.open();
    expect(() => source.saveIndex(join(scratchDir('again-'), 'x.idx'))).toThrow(/opened from an index, not scanned/);
    await source.close();
  });
});
