/**
 * Peak memory of a replay as the mailbox grows: the parent (`spamzk replay`),
 * each processor it starts, and `spamzk report` run afterwards, for a build
 * before and after the bounded-memory changes, side by side.
 *
 *   npx tsx scripts/bench-memory.ts --before /path/to/old/checkout [--copies 20,166] [--processors 2] [--session-timeout 30s]
 *
 * The mailbox is the SpamAssassin corpus (fixtures/generated/spamassassin-all,
 * `node dist/scripts/build-corpus-fixture.js --all`) hard-linked N times into
 * one folder (20 copies: 120,920 messages; 166: 1,003,636), kept under
 * $TMPDIR/spamzk-mem-<N> between runs. Peak RSS is each process's VmHWM from
 * /proc, sampled every 100 ms until it exits (VmHWM never falls, so the last
 * sample before exit is the peak to within that interval).
 *
 * `spamzk report` runs twice: with node's defaults, and with the old
 * generation capped (`--max-old-space-size`, REPORT_HEAP_MB): a report that
 * holds only what it must (the compressed done markers, outside the JS heap,
 * and one batch of outcomes) completes within the cap at any size; one that
 * holds every outcome runs out of memory. Peak RSS with the defaults also
 * counts the young generation V8 grows for a fast allocator (up to 3 × 16 MB).
 */
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startZooKeeper } from '../src/servers/zookeeper.js';
import { PACKAGE_ROOT } from '../src/shared/index.js';
import { markdownTable } from './markdown-table.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const COPIES = (flag('copies') ?? '20').split(',').map(Number);
const PROCESSORS = Number(flag('processors') ?? 2);
const BEFORE = flag('before');
/** Passed to replay as --session-timeout (e.g. 30s), for runs on a machine so loaded that 10 s sessions expire. */
const SESSION_TIMEOUT = flag('session-timeout');
const CORPUS = join(PACKAGE_ROOT, 'fixtures', 'generated', 'spamassassin-all');
/** The old-generation cap of the second `spamzk report` run, MB. */
const REPORT_HEAP_MB = 32;

interface Peak {
  role: string;
  pid: number;
  peakMb: number;
}

/** `copies` hard links of every corpus file, under ham/ and spam/ as in the corpus. */
function mailbox(copies: number): { dir: string; messages: number } {
  const dir = join(tmpdir(), `spamzk-mem-${copies}`);
  const labels = ['ham', 'spam'] as const;
  const files = Object.fromEntries(labels.map((l) => [l, readdirSync(join(CORPUS, l)).filter((n) => !n.startsWith('.'))]));
  const perCopy = labels.reduce((n, l) => n + files[l]!.length, 0);
  const marker = join(dir, '.complete');
  if (!existsSync(marker)) {
    rmSync(dir, { recursive: true, force: true });
    for (const l of labels) {
      mkdirSync(join(dir, l), { recursive: true });
      for (let c = 0; c < copies; c++) for (const name of files[l]!) linkSync(join(CORPUS, l, name), join(dir, l, `c${String(c).padStart(3, '0')}-${name}`));
    }
    mkdirSync(marker);
  }
  return { dir, messages: perCopy * copies };
}

function vmHwmMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** A process's program, or undefined when it has already exited (a child can end between listing and reading). */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0];
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Runs a command, sampling the peak RSS of it and of its node children (processors) until it exits. */
async function measure(bin: string, cmdArgs: string[], role: string, nodeFlags: string[] = []): Promise<{ code: number | null; peaks: Peak[]; seconds: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, bin, ...cmdArgs], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SPAMZK_LOG_LEVEL: 'warn' } });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  const peaks = new Map<number, Peak>();
  const sample = (): void => {
    const note = (pid: number, r: string) => {
      const mb = vmHwmMb(pid);
      if (mb === undefined) return;
      const p = peaks.get(pid) ?? { role: r, pid, peakMb: 0 };
      p.peakMb = Math.max(p.peakMb, mb);
      peaks.set(pid, p);
    };
    note(child.pid!, role);
    for (const c of childrenOf(child.pid!)) {
      const cmd = commandOf(c);
      if (cmd?.endsWith('node') || cmd === process.execPath) note(c, 'processor');
    }
  };
  const timer = setInterval(sample, 100);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  clearInterval(timer);
  return { code, peaks: [...peaks.values()], seconds: (performance.now() - started) / 1000, stdout };
}

interface Row {
  build: string;
  messages: number;
  seconds: number;
  parent: number;
  processors: number[];
  report: number;
  /** Peak RSS of `spamzk report` with a REPORT_HEAP_MB old generation, or undefined when it ran out of memory. */
  reportCapped: number | undefined;
  reportJsonMb: number;
}

async function runOne(build: string, root: string, copies: number, connectString: string): Promise<Row> {
  const { dir, messages } = mailbox(copies);
  const bin = join(root, 'bin', 'spamzk.js');
  const zkRoot = `/mem-${build}-${copies}`;
  const out = join(tmpdir(), `spamzk-mem-report-${build}-${copies}`);
  const replay = await measure(bin, ['replay', dir, '--zk', connectString, '--zk-root', zkRoot, '--processors', String(PROCESSORS), '--report-dir', `${out}-replay`, '--no-progress', '--json', ...(SESSION_TIMEOUT ? ['--session-timeout', SESSION_TIMEOUT] : [])], 'parent');
  if (replay.code !== 0) throw new Error(`${build} replay of ${messages} messages exited ${replay.code}`);
  const replayed = JSON.parse(replay.stdout.trim().split('\n').pop()!) as { job: { jobId: string }; totals: { messages: number } };
  // A mailbox folder left half-built (or half-deleted) under its .complete marker would measure a smaller job.
  if (replayed.totals.messages !== messages) throw new Error(`${build}: the replay classified ${replayed.totals.messages} messages, the mailbox should hold ${messages}: delete ${dir} and rerun`);
  const jobId = replayed.job.jobId;
  const report = await measure(bin, ['report', '--zk', connectString, '--zk-root', zkRoot, '--job', jobId, '--out', out], 'report');
  if (report.code !== 0) throw new Error(`${build} report exited ${report.code}`);
  const reportJsonMb = statSync(join(out, 'report.json')).size / 1024 / 1024;
  const capped = await measure(bin, ['report', '--zk', connectString, '--zk-root', zkRoot, '--job', jobId, '--out', `${out}-capped`], 'report', [`--max-old-space-size=${REPORT_HEAP_MB}`]);
  return {
    build,
    messages,
    seconds: replay.seconds,
    parent: replay.peaks.find((p) => p.role === 'parent')!.peakMb,
    processors: replay.peaks.filter((p) => p.role === 'processor').map((p) => p.peakMb),
    report: report.peaks.find((p) => p.role === 'report')!.peakMb,
    reportCapped: capped.code === 0 ? capped.peaks.find((p) => p.role === 'report')!.peakMb : undefined,
    reportJsonMb,
  };
}

async function main(): Promise<void> {
  if (!existsSync(CORPUS)) throw new Error(`${CORPUS} is missing: run node dist/scripts/build-corpus-fixture.js --all`);
  const builds: [string, string][] = [['after', PACKAGE_ROOT]];
  if (BEFORE) builds.unshift(['before', resolve(BEFORE)]);
  // 2 s ticks allow the 10 s sessions the CLI asks for: on a loaded 2-core machine short ones expire.
  const zk = await startZooKeeper({ nodes: 1, tickTimeMs: 2_000, jvmFlags: ['-Xmx1g'] });
  const rows: Row[] = [];
  try {
    for (const copies of COPIES) {
      for (const [build, root] of builds) {
        const row = await runOne(build, root, copies, zk.connectString);
        rows.push(row);
        console.error(`${build} ${row.messages}: parent ${row.parent.toFixed(0)} MB, processors ${row.processors.map((p) => p.toFixed(0)).join('/')} MB, report ${row.report.toFixed(0)} MB, capped ${row.reportCapped?.toFixed(0) ?? 'failed'} (${row.seconds.toFixed(0)} s)`);
      }
    }
  } finally {
    await zk.stop();
  }
  console.log(`Peak RSS (VmHWM), ${PROCESSORS} processors, ZooKeeper standalone\n`);
  console.log(
    markdownTable(
      ['build', 'messages', 'replay s', 'parent MB', 'each processor MB', 'spamzk report MB', `spamzk report, ${REPORT_HEAP_MB} MB old space`, 'report.json MB'],
      rows.map((r) => [
        r.build,
        String(r.messages),
        r.seconds.toFixed(0),
        r.parent.toFixed(0),
        r.processors.map((p) => p.toFixed(0)).join(', '),
        r.report.toFixed(0),
        r.reportCapped === undefined ? 'failed' : `${r.reportCapped.toFixed(0)} MB`,
        r.reportJsonMb.toFixed(1),
      ]),
    ),
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
