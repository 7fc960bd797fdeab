/**
 * Issue 13 item 4: `spamzk classify` in mail-delivery pipelines (procmail,
 * maildrop, sieve filters), as bogofilter and spamc are used. Run through the
 * real CLI (bin/spamzk.js) with a private HOME, so the shipped model is used.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, SPAMZK_BIN } from '../../src/shared/index.js';
import { tempDirs } from '../support/temp-dirs.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());
const home = temp.make('spamzk-classify-home-');
const SPAM = join(PACKAGE_ROOT, 'fixtures/eml/sample/spam/0002.eml');
const HAM = join(PACKAGE_ROOT, 'fixtures/eml/sample/ham/0001.eml');
const MBOX = join(PACKAGE_ROOT, 'fixtures/mbox/sample.mbox');

/** spawnSync: stdin can be given as bytes, as procmail pipes a message. */
function classify(args: readonly string[], input?: Buffer | string) {
  const r = spawnSync(process.execPath, [SPAMZK_BIN, 'classify', ...args], {
    cwd: home,
    env: { ...process.env, HOME: home, SPAMZK_MODEL: '' },
    input: input ?? '',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, out: r.stdout.toString('latin1'), err: r.stderr.toString('utf8') };
}

describe('classify for mail delivery', () => {
  it('--passthrough prepends X-Spam-* fields, drops forged ones, and keeps every other byte', () => {
    const forged = 'X-Spam-Status: No, forged\r\n\tby the sender\r\nSubject: win money now\r\nX-Spam-Flag: NO\r\n\r\nbody\r\n';
    const r = classify(['-p'], forged);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^X-Spam-Status: (Yes|No|Unsure), score=\d\.\d{6} required=[\d.]+ ham-cutoff=[\d.]+ model=[0-9a-f]{12} version=spamzk-\S+\r\nX-Spam-Score: \d\.\d{6}\r\n/);
    expect(r.out.endsWith('Subject: win money now\r\n\r\nbody\r\n')).toBe(true);
    expect(r.out).not.toMatch(/forged|by the sender|X-Spam-Flag: NO/);
    const spam = classify(['--passthrough', SPAM]);
    const original = readFileSync(SPAM, 'latin1');
    expect(spam.out).toMatch(/^X-Spam-Status: Yes, score=[\d.]+ .*\nX-Spam-Score: [\d.]+\nX-Spam-Flag: YES\n/);
    expect(spam.out.slice(spam.out.indexOf('X-Spam-Flag: YES\n') + 'X-Spam-Flag: YES\n'.length)).toBe(original);
  });

  it('--exit-code gives bogofilter\'s codes: spam 0, ham 1, unsure 2, error 3 (usage errors included)', () => {
    expect(classify(['--exit-code', SPAM]).code).toBe(0);
    expect(classify(['--exit-code', '--spam-cutoff', '1', '--ham-cutoff', '1', HAM]).code).toBe(1);
    expect(classify(['--exit-code', '--spam-cutoff', '1', '--ham-cutoff', '0', HAM]).code).toBe(2);
    expect(classify(['--exit-code', join(home, 'missing.eml')]).code).toBe(3);
    expect(classify(['--exit-code', '--bogus', SPAM]).code).toBe(3);
    expect(classify(['--exit-code', '-p', SPAM]).code).toBe(0);
    expect(classify([SPAM]).code).toBe(0);
  });

  it('cutoffs are set at run time and validated: 0..1, ham <= spam, else exit 2 naming the flag', () => {
    const everythingSpam = classify(['--spam-cutoff', '0', '--ham-cutoff', '0', HAM]);
    expect(everythingSpam.out).toMatch(/\tspam\t/);
    for (const [args, names] of [
      [['--spam-cutoff', '1.5'], /--spam-cutoff needs a probability from 0 to 1, got "1.5"/],
      [['--ham-cutoff', 'x'], /--ham-cutoff needs a probability/],
      [['--spam-cutoff', '0.2', '--ham-cutoff', '0.5'], /--ham-cutoff 0.5 is above --spam-cutoff 0.2/],
      [['--spam-cutoff', '0.001'], /above --spam-cutoff 0.001 \(with the model's default/],
    ] as const) {
      const r = classify([...args, HAM]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(names);
      expect(r.out).toBe('');
    }
  });

  it('an mbox or a folder classifies each message inside, one line each under a header row; --no-header drops it', () => {
    const mbox = classify([MBOX]);
    expect(mbox.code).toBe(0);
    const lines = mbox.out.trim().split('\n');
    expect(lines[0]).toBe('message\tverdict\tscore\tnotes');
    expect(lines.slice(1).map((l) => l.split('\t')[0])).toEqual([1, 2, 3, 4].map((n) => `${MBOX}#${n}`));
    const folder = classify(['--no-header', join(PACKAGE_ROOT, 'fixtures/eml/sample')]);
    expect(folder.out.trim().split('\n').map((l) => l.split('\t').slice(0, 2).join(' '))).toEqual([
      expect.stringMatching(/ham\/0001\.eml (ham|unsure|spam)$/),
      expect.stringMatching(/spam\/0002\.eml spam$/),
      expect.stringMatching(/ham\/0003\.eml (ham|unsure|spam)$/),
      expect.stringMatching(/spam\/0004\.eml spam$/),
    ]);
    const explain = classify(['--explain', '--top', '2', SPAM]).out.split('\n');
    expect(explain.slice(0, 2)).toEqual(['message\tverdict\tscore\tnotes', '  p(spam)  in-spam  in-ham  token']);
  });

  it('one unreadable file among many is reported on stderr, the rest are classified, and the exit code is 3', () => {
    const dir = temp.make('spamzk-classify-many-');
    const locked = join(dir, 'locked.eml');
    copyFileSync(SPAM, locked);
    chmodSync(locked, 0o000);
    const canRead = (() => { try { readFileSync(locked); return true; } catch { return false; } })();
    const unreadable = canRead ? join(dir, 'missing.eml') : locked; // root reads mode 000 files
    const r = classify([SPAM, unreadable, HAM]);
    expect(r.code).toBe(3);
    expect(r.err).toContain(`cannot read ${unreadable}`);
    expect(r.out.trim().split('\n').slice(1).map((l) => l.split('\t')[0])).toEqual([SPAM, HAM]);
  });

  it('a one-file classify loads no ZooKeeper, IMAP, pipeline or coordination module', () => {
    const dir = temp.make('spamzk-classify-modules-');
    const log = join(dir, 'modules.txt');
    writeFileSync(join(dir, 'hooks.mjs'), `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`);
    writeFileSync(join(dir, 'trace.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});\n`);
    const r = spawnSync(process.execPath, ['--import', join(dir, 'trace.mjs'), SPAMZK_BIN, 'classify', SPAM], { env: { ...process.env, HOME: home }, timeout: 60_000 });
    expect(r.status).toBe(0);
    const loaded = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    expect(loaded.some((u) => u.includes('/classifier/'))).toBe(true);
    expect(loaded.filter((u) => /node-zookeeper-client|imapflow|\/(pipeline|coordination)\/|\/sources\/(imap\/|index)/.test(u))).toEqual([]);
  });

  it('stdin when no file is named, or "-"', () => {
    const raw = readFileSync(SPAM);
    for (const args of [[], ['-']]) {
      const r = classify(args, raw);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^-\tspam\t\d\.\d{6}\n$/);
    }
  });

  it('a 0-byte file, random bytes and a binary program are "unsure" at 0.5, noted as not mail, in every output', () => {
    const dir = temp.make('spamzk-not-mail-');
    writeFileSync(join(dir, 'empty'), '');
    // Fixed bytes that look like nothing: no header line, NULs, high bytes.
    writeFileSync(join(dir, 'random.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
    copyFileSync('/bin/true', join(dir, 'true'));
    mkdirSync(join(dir, 'sub'));
    const r = classify(['--no-header', join(dir, 'empty'), join(dir, 'random.bin'), join(dir, 'true')]);
    expect(r.code).toBe(0);
    const rows = r.out.trim().split('\n').map((l) => l.split('\t'));
    expect(rows.map((c) => c.slice(1, 3))).toEqual([['unsure', '0.500000'], ['unsure', '0.500000'], ['unsure', '0.500000']]);
    expect(rows[0]![3]).toBe('(not an RFC 5322 message: empty)');
    expect(rows[1]![3]).toMatch(/^\(not an RFC 5322 message: no header lines/);
    expect(rows[2]![3]).toMatch(/^\(not an RFC 5322 message: no header lines/);
    const piped = classify(['-p', '--exit-code', join(dir, 'true')]);
    expect(piped.code).toBe(2);
    expect(piped.out).toMatch(/^X-Spam-Status: Unsure, score=0\.500000 .*\nX-Spam-Score: 0\.500000\nX-Spam-Notes: not an RFC 5322 message: no header lines[^\n]*\n\n/);
    expect(piped.stdout.subarray(piped.stdout.length - readFileSync('/bin/true').length).equals(readFileSync('/bin/true'))).toBe(true);
  });
});
