import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import {
  FixtureFormatError,
  FixtureSource,
  ImapPasswordMissingError,
  openSource,
  parseImapUrl,
  Secret,
  loadPassword,
  SourceLocationError,
  SourceStateError,
  splitMbox,
  canonicalRaw,
  writeBackVerdicts,
  WriteBackError,
  type MailSource,
} from '../../src/sources/index.js';
import { buildCorpusFixture } from '../../scripts/build-corpus-fixture.js';
import { cleanScratch, scratchDir } from './harness.js';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');
afterAll(cleanScratch);

async function readAll(source: MailSource) {
  const identity = await source.open();
  const keys = await source.listKeys();
  const messages = keys.length ? await source.fetchRange({ first: keys[0]!, last: keys.at(-1)! }) : [];
  await source.close();
  return { identity, keys, messages };
}

describe('mbox parsing', () => {
  it('splits at From_ lines after an empty line, drops the envelope and the separator line', () => {
    const mbox = Buffer.from('From a@x Mon Jan 1 00:00:00 2024\nSubject: one\n\nbody one\n\nFrom b@x Mon Jan 1 00:00:01 2024\nSubject: two\n\nbody two\n\n');
    const msgs = splitMbox(mbox).map((b) => b.toString());
    expect(msgs).toEqual(['Subject: one\n\nbody one\n', 'Subject: two\n\nbody two\n']);
  });

  it('a "From " line without an empty line before it stays in the body', () => {
    const mbox = Buffer.from('From a@x Mon Jan 1 00:00:00 2024\nSubject: one\n\nline\nFrom me to you\n');
    expect(splitMbox(mbox).map(String)).toEqual(['Subject: one\n\nline\nFrom me to you\n']);
  });

  it('unquotes >From lines by one level (mboxrd) and leaves other > lines alone', () => {
    const mbox = Buffer.from('From a@x Mon Jan 1 00:00:00 2024\nSubject: q\n\n>From quoted\n>>From twice\n> From not quoted\n>Fromage\n');
    expect(splitMbox(mbox)[0]!.toString()).toBe('Subject: q\n\nFrom quoted\n>From twice\n> From not quoted\n>Fromage\n');
  });

  it('handles CRLF mbox files', () => {
    const mbox = Buffer.from('From a@x Mon Jan 1 00:00:00 2024\r\nSubject: one\r\n\r\nbody\r\n\r\nFrom b@x Mon Jan 1 00:00:01 2024\r\nSubject: two\r\n\r\nb2\r\n');
    expect(splitMbox(mbox).map(String)).toEqual(['Subject: one\r\n\r\nbody\r\n', 'Subject: two\r\n\r\nb2\r\n']);
  });

  it('a file that does not start with a From_ line is refused, naming the file', () => {
    const file = join(FIXTURES, 'bad', 'not-an-mbox.mbox');
    expect(() => splitMbox(readFileSync(file), file)).toThrow(FixtureFormatError);
    expect(() => splitMbox(readFileSync(file), file)).toThrow(/not-an-mbox\.mbox is not an mbox file/);
    expect(splitMbox(Buffer.alloc(0))).toEqual([]);
  });

  it('the committed sample mbox reads as 4 labelled messages, quoting undone', async () => {
    const { identity, keys, messages } = await readAll(openSource(join(FIXTURES, 'mbox', 'sample.mbox')));
    expect(identity.kind).toBe('mbox');
    expect(keys).toEqual([1, 2, 3, 4]);
    expect(messages.map((m) => m.label)).toEqual(['ham', 'spam', 'ham', 'spam']);
    const first = messages[0]!.raw.toString();
    expect(first).toContain('\r\nFrom the last retro');
    expect(first).toContain('\r\n>From an older thread');
    expect(first).toContain('\r\nFrom here on this line is not a separator');
    expect(first.endsWith('Alice\r\n')).toBe(true);
  });
});

describe('Maildir and .eml folders', () => {
  it('a Maildir is read from cur/ and new/ in base-name order, labels matched by base name or path', async () => {
    const { identity, messages } = await readAll(openSource(join(FIXTURES, 'maildir', 'sample')));
    expect(identity.kind).toBe('maildir');
    expect(messages.map((m) => [m.key, m.label])).toEqual([
      [1, 'ham'],
      [2, 'spam'],
      [3, 'ham'],
    ]);
    expect(messages[2]!.raw.toString()).toContain('Friday works. 12:30?\r\n');
  });

  it('ham/ and spam/ subfolders give the labels; keys follow file names across folders', async () => {
    const source = new FixtureSource(join(FIXTURES, 'eml', 'sample'));
    await source.open();
    const messages = await source.fetchRange({ first: 1, last: 4 });
    expect(messages.map((m) => m.label)).toEqual(['ham', 'spam', 'ham', 'spam']);
    expect(source.nameOf(2)).toBe('spam/0002.eml');
    await source.close();
  });

  it('a folder yields every regular file whatever its name, but dot files and the labels file', async () => {
    const root = scratchDir('anyname-');
    const names = ['00001.eml', '00002.eml', '00003.abc123', 'inmail.4', 'msg.EML.txt', '00006.7c53336b37003a9286aba55d2945844c', 'sub/deeper'];
    mkdirSync(join(root, 'sub'));
    names.forEach((name, i) => writeFileSync(join(root, name), `Subject: ${i + 1}\n\nbody ${i + 1}\n`));
    writeFileSync(join(root, '.hidden'), 'Subject: editor swap file\n\n');
    writeFileSync(join(root, 'labels.txt'), 'spam inmail.4\n');
    const { identity, messages } = await readAll(openSource(root));
    expect(identity.kind).toBe('emldir');
    expect(messages).toHaveLength(names.length);
    const source = new FixtureSource(root);
    await source.open();
    expect(new Set(messages.map((m) => source.nameOf(m.key)))).toEqual(new Set(names));
    expect(messages.filter((m) => m.label === 'spam').map((m) => source.nameOf(m.key))).toEqual(['inmail.4']);
    await source.close();
  });

  it('files beside ham/ and spam/ are messages too, unlabelled unless the labels file names them', async () => {
    const root = scratchDir('beside-');
    cpSync(join(FIXTURES, 'eml', 'sample'), root, { recursive: true });
    writeFileSync(join(root, 'stray.msg'), 'Subject: stray\n\nbody\n');
    const { messages } = await readAll(openSource(root));
    expect(messages).toHaveLength(5);
    expect(messages.filter((m) => m.label === undefined)).toHaveLength(1);
  });

  it('ham/ and spam/ subfolders may be Maildirs; a labels file may not contradict them', async () => {
    const root = scratchDir('mdl-');
    for (const [label, sub, name] of [['ham', 'cur', '200.M1.h:2,S'], ['spam', 'new', '100.M2.h'], ['ham', 'new', '300.M3.h']] as const) {
      mkdirSync(join(root, label, sub), { recursive: true });
      writeFileSync(join(root, label, sub, name), `Subject: ${name}\n\n${label}\n`);
    }
    const { identity, messages } = await readAll(openSource(root));
    expect(identity.kind).toBe('maildir');
    expect(messages.map((m) => [m.key, m.label, m.raw.toString().split('\r\n')[0]])).toEqual([
      [1, 'spam', 'Subject: 100.M2.h'],
      [2, 'ham', 'Subject: 200.M1.h:2,S'],
      [3, 'ham', 'Subject: 300.M3.h'],
    ]);
    writeFileSync(join(root, 'labels.txt'), 'ham 100.M2.h\n');
    await expect(openSource(root).open()).rejects.toThrow(/labelled ham but lies in the spam\/ folder/);
  });

  it('malformed messages are delivered as they are, never dropped', async () => {
    const { keys, messages } = await readAll(openSource(join(FIXTURES, 'malformed')));
    expect(keys).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(messages[0]!.raw.length).toBe(0);
    expect(messages[2]!.raw.includes(Buffer.from([0xc3, 0x28]))).toBe(true);
    expect(messages[2]!.raw.includes(Buffer.from([0x80, 0x01, 0x02]))).toBe(true);
    expect(messages[3]!.raw.toString('latin1')).toBe('From: y@example.com\rSubject: old Mac line ends\r\rbody with bare CR only\rend\r\n');
    expect(messages[4]!.raw.toString().endsWith('no line end')).toBe(true);
  });

  it('a labels file with a bad label or an unknown name is refused with the line that is wrong', async () => {
    await expect(openSource(join(FIXTURES, 'bad', 'bad-labels')).open()).rejects.toThrow(/labels\.txt:2: expected "spam <name>" or "ham <name>"/);
    await expect(openSource(join(FIXTURES, 'bad', 'unknown-ref')).open()).rejects.toThrow(/no message "missing\.eml"/);
    await expect(openSource(join(FIXTURES, 'does-not-exist')).open()).rejects.toThrow(SourceLocationError);
  });

  it('keys: ranges beyond the end and listKeysAfter; use after close is refused', async () => {
    const source = openSource(join(FIXTURES, 'eml', 'sample'));
    await source.open();
    expect(await source.listKeysAfter(2)).toEqual([3, 4]);
    expect(await source.listKeysAfter(4)).toEqual([]);
    expect((await source.fetchRange({ first: 3, last: 99 })).map((m) => m.key)).toEqual([3, 4]);
    await source.close();
    await expect(source.listKeys()).rejects.toThrow(SourceStateError);
  });

  it('the identity comes from the content: a copy elsewhere has the same one, a change gives another', async () => {
    const copy = join(scratchDir('fx-'), 'copy');
    cpSync(join(FIXTURES, 'eml', 'sample'), copy, { recursive: true });
    const a = await new FixtureSource(join(FIXTURES, 'eml', 'sample')).open();
    const b = await new FixtureSource(copy).open();
    expect(b).toEqual(a);
    expect(a.id).toMatch(/^fixture:emldir:[0-9a-f]{16}$/);
    expect(a.uidValidity).toBeGreaterThan(0);
    expect(a.uidValidity).toBeLessThan(2 ** 32);
    renameSync(join(copy, 'spam', '0004.eml'), join(copy, 'ham', '0004.eml'));
    const c = await new FixtureSource(copy).open();
    expect(c.id).not.toBe(a.id);
  });
});

describe('raw bytes are in the form IMAP delivers', () => {
  it('bare LF becomes CRLF, NUL becomes 0x80; CRLF and bare CR stay; an unchanged buffer is returned as is', () => {
    expect([...canonicalRaw(Buffer.from([0x61, 0x00, 0x0a, 0x00]))]).toEqual([0x61, 0x80, 0x0d, 0x0a, 0x80]);
    expect(canonicalRaw(Buffer.from('a\nb\r\nc\rd\n\n')).toString()).toBe('a\r\nb\r\nc\rd\r\n\r\n');
    const already = Buffer.from('a\r\nb');
    expect(canonicalRaw(already)).toBe(already);
    expect(canonicalRaw(Buffer.from('\n')).toString()).toBe('\r\n');
  });
});

describe('the generated SpamAssassin fixture', () => {
  it('holds the TEST split as ham/ and spam/ .eml files in a stable order', async () => {
    const out = join(scratchDir('gen-'), 'sa-test');
    const built = buildCorpusFixture({ out });
    expect(built).toMatchObject({ messages: 1241, built: true });
    expect(buildCorpusFixture({ out, ifMissing: true }).built).toBe(false);
    const { identity, keys, messages } = await readAll(openSource(out));
    expect(keys.length).toBe(1241);
    expect(messages.filter((m) => m.label === 'spam').length).toBe(387);
    expect(messages.filter((m) => m.label === 'ham').length).toBe(854);
    const again = await new FixtureSource(out).open();
    expect(again.id).toBe(identity.id);
  });
});

describe('secrets and locations', () => {
  it('a password never shows through toString, JSON or inspect', () => {
    const secret = new Secret('hunter2-very-secret');
    const config = { user: 'bob', password: secret };
    expect(`${secret}`).not.toContain('hunter2');
    expect(JSON.stringify(config)).not.toContain('hunter2');
    expect(inspect(config, { depth: 5, showHidden: true })).not.toContain('hunter2');
    expect(secret.reveal()).toBe('hunter2-very-secret');
    const source = openSource('imaps://bob@mail.example.org/INBOX', { env: { SPAMZK_IMAP_PASSWORD: 'hunter2-very-secret' } });
    expect(inspect(source, { depth: 10, showHidden: true })).not.toContain('hunter2');
    expect(JSON.stringify(source)).not.toContain('hunter2');
  });

  it('the password comes from the environment or a file; missing gives a clear error', () => {
    const dir = scratchDir('pw-');
    writeFileSync(join(dir, 'pw'), 's3cret\n');
    expect(loadPassword({ passwordFile: join(dir, 'pw') }).reveal()).toBe('s3cret');
    expect(loadPassword({ passwordEnv: 'MY_PW' }, { MY_PW: 'x' }).reveal()).toBe('x');
    expect(() => loadPassword({}, {})).toThrow(ImapPasswordMissingError);
    expect(() => loadPassword({}, {})).toThrow(/SPAMZK_IMAP_PASSWORD/);
  });

  it('IMAP URLs: user, port defaults, mailbox; a password in the URL or plaintext to a remote host is refused', () => {
    expect(parseImapUrl('imaps://me%40gmail.com@imap.gmail.com/%5BGmail%5D%2FSpam')).toEqual({
      secure: true, host: 'imap.gmail.com', port: 993, user: 'me@gmail.com', mailbox: '[Gmail]/Spam',
    });
    expect(parseImapUrl('imap://u@127.0.0.1').port).toBe(143);
    expect(() => parseImapUrl('imaps://u:pw@host/INBOX')).toThrow(/holds a password/);
    expect(() => parseImapUrl('http://u@host/')).toThrow(SourceLocationError);
    expect(() => openSource('imap://u@mail.example.org/INBOX', { env: { SPAMZK_IMAP_PASSWORD: 'x' }, allowPlaintext: true })).toThrow(/only allowed to a loopback/);
  });

  it('write-back is refused for fixture sources', async () => {
    await expect(writeBackVerdicts(openSource(join(FIXTURES, 'eml', 'sample')), [{ key: 1, label: 'spam' }])).rejects.toThrow(WriteBackError);
  });
});
