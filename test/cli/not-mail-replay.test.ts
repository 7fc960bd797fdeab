/**
 * Issue 13 items 2 and 4 in a replay through the real CLI: the job uses the
 * user's model when $HOME has one, and files that are not mail (0 bytes,
 * pseudo-random bytes, a binary program) are "unsure" at 0.5 with the
 * not-mail note in report.json (and counted in report.md), never a
 * confident verdict.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/shared/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCliIn } from './run-cli.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());

describe('not mail, and the user model, in a replay', () => {
  it('reports files that are not mail as unsure 0.5 with the reason, classified by the user\'s model', async () => {
    const home = temp.make('spamzk-replay-home-');
    const tmp = join(home, '.tmp');
    mkdirSync(tmp);
    const env = { HOME: home, TMPDIR: tmp, SPAMZK_MODEL: '', SPAMZK_LOG_LEVEL: 'warn' };
    const trained = await runCliIn(['train', join(PACKAGE_ROOT, 'fixtures/eml/sample')], { cwd: home, env });
    expect(trained.code, trained.stderr).toBe(0);
    const folder = join(home, 'mail');
    mkdirSync(folder);
    copyFileSync(join(PACKAGE_ROOT, 'fixtures/eml/sample/spam/0002.eml'), join(folder, '1-real.eml'));
    writeFileSync(join(folder, '2-empty'), '');
    writeFileSync(join(folder, '3-noise.bin'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
    copyFileSync('/bin/true', join(folder, '4-true'));
    const r = await runCliIn(['replay', folder, '--json', '--report-dir', 'out', '-p', '1'], { cwd: home, env, killAfterMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      job: { modelName?: string };
      verdicts: { key: number; verdict: string; score?: number; note?: string }[];
    };
    expect(report.job.modelName).toContain(join('.spamzk', 'model.json'));
    const byKey = new Map(report.verdicts.map((v) => [v.key, v]));
    expect(byKey.get(1)!.note ?? '').not.toMatch(/not an RFC 5322/);
    for (const [key, reason] of [[2, 'empty'], [3, 'no header lines'], [4, 'no header lines']] as const) {
      expect(byKey.get(key), `key ${key}`).toMatchObject({ verdict: 'unsure' });
      // The done marker keeps scores in 1/65535 steps (src/pipeline/batch-result.ts).
      expect(byKey.get(key)!.score).toBeCloseTo(0.5, 4);
      expect(byKey.get(key)!.note).toMatch(new RegExp(`^not an RFC 5322 message: ${reason}`));
    }
    // report.md counts them among the verdicts reached from partial input (the notes themselves are in report.json).
    expect(readFileSync(join(home, 'out', 'report.md'), 'utf8')).toMatch(/Verdicts reached from partial input: 3\./);
  }, 180_000);
});
