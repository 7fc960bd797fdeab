/**
 * Issue 13 item 3: `train` and `eval` use the labels a source carries (one
 * labelled SOURCE, as replay takes it), never give a message both labels,
 * and report what they skip. Through the real CLI with a private HOME.
 */
import { copyFileSync, cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/shared/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCliIn } from './run-cli.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());
const MBOX = join(PACKAGE_ROOT, 'fixtures/mbox/sample.mbox'); // 2 spam + 2 ham by sample.mbox.labels
const EML = join(PACKAGE_ROOT, 'fixtures/eml/sample'); // ham/ and spam/, 2 each

function cli(args: readonly string[]) {
  const home = temp.make('spamzk-labels-home-');
  return runCliIn(args, { cwd: home, env: { HOME: home, SPAMZK_MODEL: '' } });
}

describe('labelled training input', () => {
  it('train SOURCE learns an mbox with its labels file by those labels, not all as one class', async () => {
    const r = await cli(['train', MBOX, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ spam: 2, ham: 2 });
  });

  it('eval SOURCE scores a folder with ham/ and spam/ by its subfolders', async () => {
    const r = await cli(['eval', EML, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ messages: 4, ham: 2, spam: 2 });
  });

  it('refuses one folder given as both --ham and --spam (exit 2, naming it)', async () => {
    const r = await cli(['train', '--ham', join(EML, 'ham'), '--spam', join(EML, 'ham')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(EML, 'ham')} is given as both --ham and --spam`);
  });

  it('refuses the same bytes under both labels, naming both files', async () => {
    const dir = temp.make('spamzk-both-labels-');
    cpSync(join(EML, 'ham'), join(dir, 'ham'), { recursive: true });
    cpSync(join(EML, 'spam'), join(dir, 'spam'), { recursive: true });
    copyFileSync(join(EML, 'ham/0001.eml'), join(dir, 'spam/copy-of-ham.eml'));
    for (const args of [['train', dir], ['train', '--ham', join(dir, 'ham'), '--spam', join(dir, 'spam')], ['eval', dir]]) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/the same message is labelled ham \(.*ham\/0001\.eml\) and spam \(.*spam\/copy-of-ham\.eml\)/);
    }
  });

  it('refuses an mbox given as --ham whose labels file calls some of it spam', async () => {
    const r = await cli(['train', '--ham', MBOX, '--spam', join(EML, 'spam')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is given as --ham, but its own labels call 2 of its 4 messages spam .*spamzk train /);
  });

  it('reports and skips, with a count, unlabelled messages of a labelled source and input that is not mail', async () => {
    const dir = temp.make('spamzk-unlabelled-');
    cpSync(EML, dir, { recursive: true });
    copyFileSync(join(EML, 'ham/0001.eml'), join(dir, 'stray-1.eml'));
    writeFileSync(join(dir, 'stray-2.eml'), 'Subject: stray\n\nnot in ham/ or spam/\n');
    writeFileSync(join(dir, 'ham', 'empty.eml'), '');
    const r = await cli(['train', dir, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped 2 unlabelled message\(s\) of .*: .*stray-1\.eml, .*stray-2\.eml/);
    expect(r.stderr).toMatch(/skipped 1 input\(s\) that are not mail .*ham\/empty\.eml/);
    expect(JSON.parse(r.stdout)).toMatchObject({ spam: 2, ham: 2 });
  });

  it('a source without labels is refused with what would label it; a one-sided source warns', async () => {
    const none = await cli(['train', join(PACKAGE_ROOT, 'fixtures/malformed')]);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/no labelled messages in .*ham\/ and spam\/ subfolders or a labels file/);
    const dir = temp.make('spamzk-one-sided-');
    cpSync(join(EML, 'ham'), join(dir, 'ham'), { recursive: true });
    const oneSided = await cli(['train', dir]);
    expect(oneSided.code).toBe(0);
    expect(oneSided.stderr).toMatch(/warning: one-sided training set \(0 spam, 2 ham\)/);
  });
});
