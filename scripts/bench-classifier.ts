/**
 * Side-by-side benchmark: bogofilter (Debian package) and spamzk's classifier
 * trained on the same TRAIN split and scored on the same TEST files, in one
 * run, one core each. Prints both rows, the msgs/s ratio, our training time,
 * resident memory with the model loaded, and the model file size. Then the
 * online protocol (bench-classifier-online.ts): both tools from empty on the
 * whole corpus in arrival order, and the 1-ROCA% ratio. Then the median time
 * to learn one message, and the start-up of `spamzk classify ONE_FILE` and
 * `spamzk --help` beside a bare `node -e ''` (a timing loop of whole processes).
 *
 *   npx tsx scripts/bench-classifier.ts [--no-online]
 *
 * Both tools read the same envelope-stripped .eml files from a temp folder;
 * bogofilter scores them in one process (-B), we classify them in this one,
 * file reads included for both. Nothing here asserts: it prints figures.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { listCorpus, readCorpusMessage, type CorpusMessage } from '../src/corpus/index.js';
import { DEFAULT_MODEL_PATH, PACKAGE_ROOT, evaluate, SpamModel, trainModel, type EvalFigures, type Scored } from '../src/classifier/index.js';
import { readCorpusInput } from '../src/cli/commands/train.js';
import { markdownTable } from './markdown-table.js';
import { benchOnline } from './bench-classifier-online.js';

interface Row extends EvalFigures {
  readonly tool: string;
  readonly trainSeconds: number;
  readonly msgsPerSec: number;
}

function ensureBogofilter(): void {
  if (spawnSync('sh', ['-c', 'command -v bogofilter'], { stdio: 'ignore' }).status === 0) return;
  console.log('bogofilter missing: apt-get install -y bogofilter');
  execFileSync('apt-get', ['install', '-y', 'bogofilter'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

function writeTestFiles(dir: string, test: CorpusMessage[]): Array<{ file: string; truth: 'spam' | 'ham' }> {
  return test.map((m) => {
    const file = join(dir, `${m.md5}.${m.label}.eml`);
    writeFileSync(file, readCorpusMessage(m));
    return { file, truth: m.label };
  });
}

/** mboxrd: an envelope line per message, body lines starting with "From " quoted. */
function writeMbox(file: string, messages: CorpusMessage[]): void {
  const parts = messages.map((m) => {
    const body = readCorpusMessage(m).toString('latin1').replace(/^(>*From )/gm, '>$1');
    return `From bench@localhost Thu Jan  1 00:00:00 2004\n${body}${body.endsWith('\n') ? '' : '\n'}\n`;
  });
  writeFileSync(file, parts.join(''), 'latin1');
}

function benchBogofilter(dir: string, train: CorpusMessage[], files: Array<{ file: string; truth: 'spam' | 'ham' }>): Row {
  const db = join(dir, 'bogofilter-db');
  execFileSync('mkdir', ['-p', db]);
  writeMbox(join(dir, 'spam.mbox'), train.filter((m) => m.label === 'spam'));
  writeMbox(join(dir, 'ham.mbox'), train.filter((m) => m.label === 'ham'));
  let t = performance.now();
  execFileSync('bogofilter', ['-d', db, '-M', '-s', '-I', join(dir, 'spam.mbox')]);
  execFileSync('bogofilter', ['-d', db, '-M', '-n', '-I', join(dir, 'ham.mbox')]);
  const trainSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  // bogofilter's exit status is the verdict of the last message (0 spam, 1 ham, 2 unsure); 3 is an error.
  const run = spawnSync('bogofilter', ['-d', db, '-T', '-B', ...files.map((f) => f.file)], { maxBuffer: 64 << 20 });
  if (run.status === null || run.status > 2) throw new Error(`bogofilter -T -B failed (status ${run.status}): ${run.stderr.toString().slice(0, 500)}`);
  const out = run.stdout.toString();
  const seconds = (performance.now() - t) / 1000;
  const byFile = new Map<string, { label: string; score: number }>();
  for (const line of out.trim().split('\n')) {
    const [file, code, score] = line.split(/\s+/);
    byFile.set(file!, { label: code!, score: Number(score) });
  }
  const scored: Scored[] = files.map((f) => {
    const r = byFile.get(f.file)!;
    const label = r.label === 'S' ? 'spam' : r.label === 'H' ? 'ham' : 'unsure';
    return { truth: f.truth, label, score: r.score };
  });
  return { tool: 'bogofilter (defaults)', trainSeconds, msgsPerSec: files.length / seconds, ...evaluate(scored) };
}

function benchOurs(files: Array<{ file: string; truth: 'spam' | 'ham' }>): { row: Row; model: SpamModel } {
  // The same input and provenance as `spamzk train`, so the model's id can be compared with the shipped one.
  const input = readCorpusInput('train');
  let t = performance.now();
  const model = trainModel(input.messages, input.from);
  const trainSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const scored: Scored[] = files.map((f) => {
    const v = model.classify(readFileSync(f.file));
    return { truth: f.truth, label: v.label, score: v.logOdds ?? v.score };
  });
  const seconds = (performance.now() - t) / 1000;
  return { row: { tool: 'spamzk', trainSeconds, msgsPerSec: files.length / seconds, ...evaluate(scored) }, model };
}

/**
 * Resident memory as the CLI and the pipeline run: a plain node process (not
 * tsx, whose compiler alone costs ~40 MiB) importing the built classifier,
 * loading the shipped model and classifying the TEST files.
 */
function probeMemory(list: string): { rssMiB: number; modelId: string } {
  const built = join(PACKAGE_ROOT, 'dist', 'src', 'classifier', 'index.js');
  if (!existsSync(built)) throw new Error(`${built} missing: run \`npm run build\` first`);
  const script = [
    `import { SpamModel } from ${JSON.stringify(pathToFileURL(built).href)};`,
    `import { readFileSync } from 'node:fs';`,
    `const model = SpamModel.load();`,
    `for (const f of readFileSync(${JSON.stringify(list)}, 'utf8').trim().split('\\n')) model.classify(readFileSync(f));`,
    `process.stdout.write(JSON.stringify({ rssMiB: process.memoryUsage().rss / 2 ** 20, modelId: model.id }));`,
  ].join('\n');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script]).toString();
  return JSON.parse(out) as { rssMiB: number; modelId: string };
}

/** The pipeline classifies between ZooKeeper heartbeats: what is the worst single message? */
function hostileTimings(model: SpamModel): string[] {
  const MiB = 1 << 20;
  let nested = 'Content-Type: text/plain\n\nx\n';
  for (let i = 1000; i > 0; i--) nested = `Content-Type: multipart/mixed; boundary="b${i}"\n\n--b${i}\n${nested}\n--b${i}--\n`;
  const cases: Array<[string, string]> = [
    ['10 MB line', `Subject: x\n\n${'a'.repeat(10 * MiB)}\n`],
    ['10 MB of words', `Subject: x\n\n${'lorem ipsum dolor sit amet '.repeat(400_000)}\n`],
    ['20 MB attachment', `Subject: x\nContent-Type: multipart/mixed; boundary=z\n\n--z\n\nsee\n--z\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n${'QUJD'.repeat(5 * MiB)}\n--z--\n`],
    ['multipart 1,000 deep', `Subject: n\n${nested}`],
    ['1 MB To: without @', `To: ${'a'.repeat(MiB)}\nSubject: x\n\nbody`],
    ['50,000 URLs', `Subject: x\n\n${Array.from({ length: 50_000 }, (_, i) => `http://h${i}.example${i % 97}.com/a`).join(' ')}`],
  ];
  return cases.map(([name, text]) => {
    const raw = Buffer.from(text);
    const t = performance.now();
    model.classify(raw);
    return `${name} ${(performance.now() - t).toFixed(1)} ms`;
  });
}

/** Median wall time of learning one message into the trained model (feedback's cost), over 500 TEST messages. */
function learnMedianMs(model: SpamModel, files: Array<{ file: string; truth: 'spam' | 'ham' }>): number {
  const times: number[] = [];
  for (const f of files.slice(0, 500)) {
    const raw = readFileSync(f.file);
    const t = performance.now();
    model.learn(raw, f.truth);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

/** CPU seconds (user + system) of this process's waited-for children, from /proc (Linux; 10 ms ticks). */
function childrenCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  // After "pid (comm) ", field 16 (cutime) and 17 (cstime) are at 13 and 14.
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/**
 * Whole processes, `runs` of each after one warm-up: the median wall time, and
 * the mean CPU time, which a machine shared with other jobs inflates far less.
 */
function processTimes(cmd: string[], runs = 15): { wallMs: number; cpuMs: number } {
  spawnSync(cmd[0]!, cmd.slice(1), { stdio: 'ignore' });
  const times: number[] = [];
  const cpuBefore = childrenCpuMs();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(cmd[0]!, cmd.slice(1), { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}`);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { wallMs: times[times.length >> 1]!, cpuMs: (childrenCpuMs() - cpuBefore) / runs };
}

function startUp(oneFile: string): void {
  const bin = join(PACKAGE_ROOT, 'bin', 'spamzk.js');
  const bare = processTimes([process.execPath, '-e', '']);
  const classify = processTimes([process.execPath, bin, 'classify', oneFile]);
  const help = processTimes([process.execPath, bin, '--help']);
  const bogo = processTimes(['sh', '-c', `bogofilter -d ${JSON.stringify(join(PACKAGE_ROOT, 'models'))} -T < /dev/null; true`]);
  const show = (name: string, x: { wallMs: number; cpuMs: number }): string =>
    `${name} ${x.wallMs.toFixed(0)} ms wall (${(x.wallMs / bare.wallMs).toFixed(2)}x), ${x.cpuMs.toFixed(0)} ms CPU (${(x.cpuMs / bare.cpuMs).toFixed(2)}x)`;
  console.log(`start-up, whole processes, median wall / mean CPU of 15 (target for classify: <= 3x node -e ''):`);
  console.log(`  ${show("node -e ''", bare)}; ${show('spamzk classify ONE_FILE', classify)}; ${show('spamzk --help', help)}; ${show('sh + bogofilter -T', bogo)}`);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function printRows(rows: Row[]): void {
  const header = ['tool', 'train s', 'msgs/s', 'accuracy', 'FPR', 'recall', 'precision', 'F1', 'ROC AUC', 'FP', 'FN', 'unsure ham/spam'];
  const cells = rows.map((r) => [
    r.tool, r.trainSeconds.toFixed(2), r.msgsPerSec.toFixed(0), pct(r.accuracy), pct(r.fpr), pct(r.recall), pct(r.precision),
    r.f1.toFixed(4), r.auc.toFixed(5), String(r.falsePositives), String(r.falseNegatives), `${r.unsure.ham}/${r.unsure.spam}`,
  ]);
  console.log(markdownTable(header, cells));
}

function main(): void {
  ensureBogofilter();
  const dir = mkdtempSync(join(tmpdir(), 'spamzk-bench-'));
  try {
    const train = listCorpus('train');
    const files = writeTestFiles(dir, listCorpus('test'));
    console.log(`TRAIN ${train.length} messages, TEST ${files.length} (${files.filter((f) => f.truth === 'ham').length} ham); temp ${dir}`);
    const bogo = benchBogofilter(dir, train, files);
    const ours = benchOurs(files);
    printRows([bogo, ours.row]);
    console.log(`msgs/s ratio spamzk / bogofilter: ${(ours.row.msgsPerSec / bogo.msgsPerSec).toFixed(2)}`);
    console.log(`spamzk training on TRAIN: ${ours.row.trainSeconds.toFixed(2)} s (decode + tokenize + count, files already in memory)`);
    console.log(`spamzk hostile messages (default 1 MiB cap), one classify() each: ${hostileTimings(ours.model).join('; ')}`);

    const list = join(dir, 'files.txt');
    writeFileSync(list, files.map((f) => f.file).join('\n'));
    const { rssMiB, modelId } = probeMemory(list);
    console.log(`spamzk resident memory, plain node + built classifier, shipped model loaded and TEST classified: ${rssMiB.toFixed(1)} MiB`);
    console.log(`shipped model ${DEFAULT_MODEL_PATH}: ${(statSync(DEFAULT_MODEL_PATH).size / 2 ** 20).toFixed(2)} MiB, id ${modelId}`);
    console.log(`model trained in this run has the shipped id: ${ours.model.id === modelId ? 'yes' : `no (${ours.model.id}): retrain with \`spamzk train\``}`);
    console.log(`spamzk learning one message (learn() into the trained model), median of 500: ${learnMedianMs(ours.model, files).toFixed(3)} ms`);
    startUp(files[0]!.file);
    if (!process.argv.includes('--no-online')) benchOnline(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
