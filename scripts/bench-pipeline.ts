/**
 * End-to-end throughput of `spamzk replay` with 1 and 2 processors against
 * the classifier alone on the same messages, in one run.
 *
 *   npx tsx scripts/bench-pipeline.ts [--fixture DIR] [--copies N] [--batch-size N]
 *
 * Default fixture: all 6046 messages of the SpamAssassin corpus (generated
 * on first use), hard-linked --copies times (default 4) into a temporary
 * mailbox, so the job runs long enough for process start-up and JIT warm-up
 * not to dominate. Targets (issue 5): end to end ≥ 80% of classifier-only
 * throughput per core; 1 -> 2 processors ≥ 1.7x on 2 cores; the longest
 * event-loop stall well below a third of the session timeout.
 */
import { spawn } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SpamModel } from '../src/classifier/index.js';
import { SPAMZK_BIN } from '../src/shared/index.js';
import { startZooKeeper } from '../src/servers/zookeeper.js';
import { FixtureSource } from '../src/sources/index.js';
import { buildCorpusFixture } from './build-corpus-fixture.js';
import { markdownTable } from './markdown-table.js';

const BIN = SPAMZK_BIN;
const SESSION_TIMEOUT_MS = 10_000;

interface Row {
  mode: string;
  processors: number;
  messages: number;
  wallS: number;
  spanS: number;
  msgsPerSec: number;
  maxStallMs: number;
}

async function classifierOnly(fixture: string): Promise<Row> {
  const model = SpamModel.load();
  const source = new FixtureSource(fixture);
  await source.open();
  const keys = await source.listKeys();
  const messages = await source.fetchRange({ first: keys[0]!, last: keys[keys.length - 1]! });
  await source.close();
  const started = performance.now();
  for (const m of messages) model.classify(m.raw);
  const seconds = (performance.now() - started) / 1000;
  return { mode: 'classifier only (in memory)', processors: 1, messages: messages.length, wallS: seconds, spanS: seconds, msgsPerSec: messages.length / seconds, maxStallMs: 0 };
}

interface ReportShape {
  totals: { messages: number };
  commits: { committedAt: number; durationMs: number }[];
  maxEventLoopStallMs: number | null;
}

async function endToEnd(fixture: string, connectString: string, processors: number, batchSize: number): Promise<Row> {
  const started = performance.now();
  const stdout = await runReplay([
    'replay', fixture, '--zk', connectString, '--zk-root', `/bench-${processors}-${Date.now()}`,
    '--processors', String(processors), '--batch-size', String(batchSize), '--json', '--no-progress',
    '--report-dir', mkdtempSync(join(tmpdir(), 'bench-report-')),
  ]);
  const wallS = (performance.now() - started) / 1000;
  const report = JSON.parse(stdout.trim().split('\n').pop()!) as ReportShape;
  // The processing span: first claim to last commit, as ZooKeeper timed them.
  const firstClaim = Math.min(...report.commits.map((c) => c.committedAt - c.durationMs));
  const lastCommit = Math.max(...report.commits.map((c) => c.committedAt));
  const spanS = (lastCommit - firstClaim) / 1000;
  return {
    mode: 'spamzk replay (end to end)',
    processors,
    messages: report.totals.messages,
    wallS,
    spanS,
    msgsPerSec: report.totals.messages / spanS,
    maxStallMs: report.maxEventLoopStallMs ?? 0,
  };
}

function runReplay(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, SPAMZK_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`spamzk replay exited with ${code}`))));
  });
}

/** A mailbox of `copies` × the fixture's messages, hard links in ham/ and spam/. */
function replicate(fixture: string, copies: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'bench-mailbox-'));
  for (const label of ['ham', 'spam']) {
    mkdirSync(join(dir, label));
    for (const name of readdirSync(join(fixture, label))) {
      for (let c = 1; c <= copies; c++) linkSync(join(fixture, label, name), join(dir, label, `c${c}-${name}`));
    }
  }
  return dir;
}

function printTable(rows: Row[], base: Row): void {
  const header = ['mode', 'procs', 'messages', 'wall s', 'span s', 'msgs/s', 'per core vs classifier', 'max stall ms'];
  const lines = rows.map((r) => [
    r.mode,
    String(r.processors),
    String(r.messages),
    r.wallS.toFixed(2),
    r.spanS.toFixed(2),
    r.msgsPerSec.toFixed(0),
    `${((100 * r.msgsPerSec) / r.processors / base.msgsPerSec).toFixed(0)}%`,
    r.maxStallMs.toFixed(0),
  ]);
  console.log(markdownTable(header, lines));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { fixture: { type: 'string' }, copies: { type: 'string', default: '4' }, 'batch-size': { type: 'string', default: '250' } },
  });
  const source = values.fixture ?? buildCorpusFixture({ all: true, ifMissing: true }).dir;
  const copies = Number(values.copies);
  const fixture = copies > 1 ? replicate(source, copies) : source;
  const batchSize = Number(values['batch-size']);
  console.log(`fixture ${source} × ${copies}, batch size ${batchSize}, session timeout ${SESSION_TIMEOUT_MS} ms, ${(await import('node:os')).cpus().length} cores`);
  const base = await classifierOnly(fixture);
  const zk = await startZooKeeper({ nodes: 1 });
  try {
    const one = await endToEnd(fixture, zk.connectString, 1, batchSize);
    const two = await endToEnd(fixture, zk.connectString, 2, batchSize);
    printTable([base, one, two], base);
    console.log(`\n1 -> 2 processors: ${(two.msgsPerSec / one.msgsPerSec).toFixed(2)}x (span), ${(one.wallS / two.wallS).toFixed(2)}x (wall, incl. process start and model load)`);
    console.log(`longest event-loop stall: ${Math.max(one.maxStallMs, two.maxStallMs).toFixed(0)} ms = ${((100 * Math.max(one.maxStallMs, two.maxStallMs)) / SESSION_TIMEOUT_MS).toFixed(1)}% of the session timeout`);
  } finally {
    await zk.stop();
    if (fixture !== source) rmSync(fixture, { recursive: true, force: true });
  }
}

await main();
