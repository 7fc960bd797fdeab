/**
 * Issue 13 item 2: `train` and `learn` write the user's own model
 * ($HOME/.spamzk/model.json, or SPAMZK_MODEL / --model), never the shipped
 * one unless --force, and the reading commands prefer the user's model to the
 * shipped one. Run through the real CLI with a private HOME.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_PATH } from '../../src/classifier/index.js';
import { PACKAGE_ROOT } from '../../src/shared/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCliIn } from './run-cli.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());

const HAM = join(PACKAGE_ROOT, 'fixtures/eml/sample/ham');
const SPAM = join(PACKAGE_ROOT, 'fixtures/eml/sample/spam');
const shippedHash = (): string => createHash('sha256').update(readFileSync(DEFAULT_MODEL_PATH)).digest('hex');

function cli(args: readonly string[], home: string, env: NodeJS.ProcessEnv = {}) {
  return runCliIn(args, { cwd: home, env: { HOME: home, SPAMZK_MODEL: '', ...env } });
}

describe('the user model', () => {
  it('train writes $HOME/.spamzk/model.json, warns that the set is tiny, and leaves the shipped model alone', async () => {
    const home = temp.make('spamzk-home-');
    const before = shippedHash();
    const r = await cli(['train', '--ham', HAM, '--spam', SPAM], home);
    expect(r.stderr).toMatch(/warning: tiny training set \(2 spam, 2 ham/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(home, '.spamzk/model.json')} (your model)`);
    expect(existsSync(join(home, '.spamzk/model.json'))).toBe(true);
    expect(shippedHash()).toBe(before);
    // Every reading command now prefers it to the shipped model.
    const e = await cli(['eval', '--ham', HAM, '--spam', SPAM, '--json'], home);
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).model).toBe(`${join(home, '.spamzk/model.json')} (your model)`);
  });

  it('a HOME without a model of its own reads the shipped model; SPAMZK_MODEL beats the user model', async () => {
    const home = temp.make('spamzk-home-');
    const e = await cli(['eval', '--ham', HAM, '--spam', SPAM, '--json'], home);
    expect(JSON.parse(e.stdout).model).toBe(`${DEFAULT_MODEL_PATH} (the shipped model)`);
    const other = join(home, 'other.json');
    expect((await cli(['train', '--ham', HAM, '--spam', SPAM, '--out', other], home)).code).toBe(0);
    expect((await cli(['train', '--ham', HAM, '--spam', SPAM], home)).code).toBe(0);
    const viaEnv = await cli(['eval', '--ham', HAM, '--spam', SPAM, '--json'], home, { SPAMZK_MODEL: other });
    expect(JSON.parse(viaEnv.stdout).model).toBe(`${other} ($SPAMZK_MODEL)`);
  });

  it('train and learn refuse to write the shipped model by name (exit 2, nothing written) unless --force', async () => {
    const home = temp.make('spamzk-home-');
    const before = shippedHash();
    for (const args of [
      ['train', '--ham', HAM, '--spam', SPAM, '--out', DEFAULT_MODEL_PATH],
      ['learn', '--spam', join(SPAM, readdirFirst(SPAM)), '--model', DEFAULT_MODEL_PATH],
    ]) {
      const r = await cli(args, home);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/refusing to overwrite the shipped model .*add --force/);
    }
    const viaEnv = await cli(['learn', '--ham', join(HAM, readdirFirst(HAM))], home, { SPAMZK_MODEL: DEFAULT_MODEL_PATH });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toMatch(/named by SPAMZK_MODEL/);
    expect(shippedHash()).toBe(before);
  });

  it('learn without --model starts the user model from the shipped one, then adds to it', async () => {
    const home = temp.make('spamzk-home-');
    const first = await cli(['learn', '--spam', SPAM, '--json'], home);
    expect(first.code).toBe(0);
    const s1 = JSON.parse(first.stdout);
    expect(s1).toMatchObject({ model: join(home, '.spamzk/model.json'), created: true, startedFrom: 'the shipped model', learned: 2 });
    const user = JSON.parse(readFileSync(join(home, '.spamzk/model.json'), 'utf8'));
    const shipped = JSON.parse(readFileSync(DEFAULT_MODEL_PATH, 'utf8'));
    // The wordlist grew from the shipped one: its trained counts are kept.
    expect(user.provenance.trained).toEqual(shipped.provenance.trained);
    const second = JSON.parse((await cli(['learn', '--ham', HAM, '--json'], home)).stdout);
    expect(second).toMatchObject({ created: false, learned: 2, totalLearned: { spam: s1.totalLearned.spam, ham: s1.totalLearned.ham + 2 } });
  });
});

function readdirFirst(dir: string): string {
  return readdirSync(dir).sort()[0]!;
}
