/**
 * The classifier commands, run in-process on a commander program with just
 * them registered.
 * stdout must stay machine-readable: --json prints exactly one JSON object per
 * line and nothing else (docs/findings.md: natural prints on import).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Command, CommanderError } from 'commander';
import { registerClassify } from '../../src/cli/commands/classify.js';
import { registerEval } from '../../src/cli/commands/eval.js';
import { registerLearn } from '../../src/cli/commands/learn.js';
import { registerTrain } from '../../src/cli/commands/train.js';
import { listCorpus, readCorpusMessage } from '../../src/corpus/index.js';

const dir = mkdtempSync(join(tmpdir(), 'spamzk-cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true));
  const program = new Command('spamzk').exitOverride();
  registerTrain(program);
  registerEval(program);
  registerClassify(program);
  registerLearn(program);
  let code: number;
  try {
    await program.parseAsync(['node', 'spamzk', ...args]);
    code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = 2; // what main() maps commander's usage errors to
  }
  process.exitCode = undefined;
  vi.restoreAllMocks();
  return { code, out, err };
}

describe('spamzk classifier commands', () => {
  it('eval --json prints one JSON object with the figures', async () => {
    const { code, out } = await run('eval', '--json');
    expect(code).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1);
    const r = JSON.parse(out) as Record<string, number>;
    for (const key of ['messages', 'accuracy', 'fpr', 'recall', 'precision', 'f1', 'auc', 'msgsPerSec']) expect(typeof r[key]).toBe('number');
    expect(r.messages).toBe(1241);
  });

  it('classify prints a verdict per file, --explain the clues, --json one object per line', async () => {
    const [ham, spam] = [listCorpus('test').find((m) => m.label === 'ham')!, listCorpus('test').find((m) => m.label === 'spam')!];
    const hamFile = join(dir, 'ham.eml');
    const spamFile = join(dir, 'spam.eml');
    writeFileSync(hamFile, readCorpusMessage(ham));
    writeFileSync(spamFile, readCorpusMessage(spam));
    const plain = await run('classify', hamFile, spamFile);
    expect(plain.out).toMatch(new RegExp(`^${hamFile}\\tham\\t0\\.\\d{6}\\n${spamFile}\\tspam\\t[01]\\.\\d{6}\\n$`));
    const json = await run('classify', '--json', spamFile);
    expect(JSON.parse(json.out)).toMatchObject({ file: spamFile, label: 'spam' });
    const explained = await run('classify', '--explain', '--top', '3', spamFile);
    expect(explained.out.trim().split('\n')).toHaveLength(4);
  });

  it('train --ham (folder of .eml) --spam (Maildir) writes a model that eval can use', async () => {
    const hamDir = join(dir, 'ham');
    const spamDir = join(dir, 'spam'); // a Maildir: messages in cur/ and new/
    mkdirSync(hamDir);
    mkdirSync(join(spamDir, 'cur'), { recursive: true });
    mkdirSync(join(spamDir, 'new'));
    mkdirSync(join(spamDir, 'tmp'));
    const train = listCorpus('train');
    train.filter((m) => m.label === 'ham').slice(0, 40).forEach((m, i) => writeFileSync(join(hamDir, `${i}.eml`), readCorpusMessage(m)));
    train.filter((m) => m.label === 'spam').slice(0, 40).forEach((m, i) => writeFileSync(join(spamDir, i % 2 ? 'cur' : 'new', `${i}:2,S`), readCorpusMessage(m)));
    const out = join(dir, 'small.json');
    const trained = await run('train', '--ham', hamDir, '--spam', spamDir, '--out', out, '--json');
    expect(trained.code).toBe(0);
    expect(JSON.parse(trained.out)).toMatchObject({ model: out, spam: 40, ham: 40 });
    const evaluated = await run('eval', '--model', out, '--ham', hamDir, '--spam', spamDir, '--json');
    expect(JSON.parse(evaluated.out)).toMatchObject({ messages: 80 });
  });

  it('names a missing model or file on stderr with exit code 3, and bad flags with 2', async () => {
    const missing = await run('classify', '--model', join(dir, 'nope.json'), join(dir, 'x.eml'));
    expect(missing.out).toBe('');
    expect(missing.err).toMatch(/no model file at .*nope\.json/);
    expect(missing.code).toBe(3);
    const noFile = await run('classify', join(dir, 'does-not-exist.eml'));
    expect(noFile.err).toMatch(/cannot read .*does-not-exist\.eml/);
    expect(noFile.code).toBe(3);
    const bad = await run('classify', '--top', 'many', join(dir, 'x.eml'));
    expect(bad.code).toBe(2);
    const emptyDir = join(dir, 'empty');
    mkdirSync(emptyDir);
    const empty = await run('train', '--ham', emptyDir, '--spam', emptyDir, '--out', join(dir, 'never.json'));
    expect(empty.err).toMatch(/no messages in .*empty/);
    expect(empty.code).toBe(3);
    const half = await run('train', '--ham', dir, '--out', join(dir, 'never.json'));
    expect(half.err).toMatch(/give both --ham and --spam/);
    expect(half.code).toBe(2);
  });

  it('eval --online --index runs a TREC index in its order, paths relative to the index, and prints the TREC figures', async () => {
    const trec = join(dir, 'trec');
    mkdirSync(join(trec, 'data'), { recursive: true });
    mkdirSync(join(trec, 'full'));
    const msgs = listCorpus('train').filter((_, i) => i % 40 === 0); // both classes, 121 messages
    const lines = msgs.map((m, i) => {
      writeFileSync(join(trec, 'data', `inmail.${i + 1}`), readCorpusMessage(m));
      return `${m.label} ../data/inmail.${i + 1}`;
    });
    writeFileSync(join(trec, 'full', 'index'), lines.join('\n') + '\n');
    const { code, out } = await run('eval', '--online', '--index', join(trec, 'full', 'index'), '--json');
    expect(code).toBe(0);
    const r = JSON.parse(out) as Record<string, number | string>;
    for (const key of ['messages', 'ham', 'spam', 'oneMinusRocaPct', 'lamPct', 'h01Pct', 'hamMisclassPct', 'spamMisclassPct', 'msgsPerSec']) {
      expect(typeof r[key]).toBe('number');
    }
    expect(r).toMatchObject({ messages: msgs.length, spam: msgs.filter((m) => m.label === 'spam').length, from: 'empty', trainOn: 'all', learned: msgs.length });
    // The same stream again: the same figures and the same final model.
    const again = JSON.parse((await run('eval', '--online', '--index', join(trec, 'full', 'index'), '--json')).out) as Record<string, unknown>;
    expect(again.modelId).toBe(r.modelId);
    expect(again.oneMinusRocaPct).toBe(r.oneMinusRocaPct);
  });

  it('eval --online names a bad TREC index line, and rejects bad flags with exit 2 before reading anything', async () => {
    const index = join(dir, 'bad-index');
    writeFileSync(index, 'spam ../data/inmail.1\nham ../data/inmail.2\nspamm ../data/inmail.3\n');
    const bad = await run('eval', '--online', '--index', index);
    expect(bad.err).toMatch(/bad-index line 3: expected "spam PATH" or "ham PATH", got "spamm \.\.\/data\/inmail\.3"/);
    expect(bad.code).toBe(3);
    const missing = join(dir, 'missing-index');
    writeFileSync(missing, 'ham ./nowhere.eml\n');
    const gone = await run('eval', '--online', '--index', missing);
    expect(gone.err).toMatch(/missing-index line 1: cannot read .*nowhere\.eml/);
    const flag = await run('eval', '--online', '--train-on', 'some', '--index', index);
    expect(flag.err).toMatch(/--train-on must be "all" or "error"/);
    expect(flag.code).toBe(2);
    expect((await run('eval', '--train-on', 'error')).code).toBe(2);
  });

  it('learn --spam/--ham updates a model file (created if missing) that classify then uses', async () => {
    const model = join(dir, 'learned.json');
    const spam = listCorpus('train').filter((m) => m.label === 'spam').slice(0, 30);
    const ham = listCorpus('train').filter((m) => m.label === 'ham').slice(0, 30);
    const write = (m: (typeof spam)[number], i: number, label: string): string => {
      const f = join(dir, `${label}-${i}.eml`);
      writeFileSync(f, readCorpusMessage(m));
      return f;
    };
    const spamFiles = spam.map((m, i) => write(m, i, 'spam'));
    const hamFiles = ham.map((m, i) => write(m, i, 'ham'));
    expect(existsSync(model)).toBe(false);
    const first = await run('learn', '--spam', '--model', model, '--json', ...spamFiles);
    expect(JSON.parse(first.out)).toMatchObject({ created: true, label: 'spam', learned: 30 });
    const second = await run('learn', '--ham', '--model', model, '--json', ...hamFiles);
    expect(JSON.parse(second.out)).toMatchObject({ created: false, label: 'ham', learned: 30, totalLearned: { spam: 30, ham: 30 } });
    const verdicts = await run('classify', '--model', model, '--json', spamFiles[0]!, hamFiles[0]!);
    const [v1, v2] = verdicts.out.trim().split('\n').map((l) => JSON.parse(l) as { logOdds: number });
    expect(v1!.logOdds).toBeGreaterThan(v2!.logOdds);
    const neither = await run('learn', '--model', model, spamFiles[0]!);
    expect(neither.err).toMatch(/exactly one of --spam or --ham/);
    expect(neither.code).toBe(2);
  });

  it('main registers only the command argv names, and summary stubs for --help or an unknown word', async () => {
    const { buildProgram } = await import('../../src/cli/main.js');
    const names = (p: Command): string[] => p.commands.map((c) => c.name());
    const classify = await buildProgram(['node', 'spamzk', 'classify', 'x.eml']);
    expect(names(classify)).toEqual(['classify']);
    expect(classify.commands[0]!.options.map((o) => o.long)).toContain('--explain');
    const help = await buildProgram(['node', 'spamzk', '--help']);
    const all = ['replay', 'run', 'status', 'pause', 'resume', 'drain', 'config', 'report', 'processor', 'train', 'eval', 'learn', 'classify'];
    expect(names(help)).toEqual(all);
    expect(help.commands.every((c) => c.options.length === 0)).toBe(true); // stubs: no module was loaded for them
    expect(names(await buildProgram(['node', 'spamzk', 'constructor']))).toHaveLength(all.length);
    expect(names(await buildProgram(['node', 'spamzk', 'help', 'learn']))).toEqual(['learn']);
  });
});
