/**
 * The learning loop through the real fleet: a stream delivered to a real
 * Dovecot mailbox in chunks, `spamzk run --learn --every` classifying each
 * chunk on a fleet of processors, and a simulated user who, between passes,
 * corrects every error of the last pass with the keywords a mail client sets
 * ($Junk on spam called ham or unsure, $NotJunk on ham called spam). Printed
 * side by side, in one run, on the same stream:
 *   - the fleet's 1-ROCA% (scores as committed, each made with the model
 *     version of its pass), against the reference tool on the same stream in
 *     the same order: `spamzk eval --online` (TREC immediate feedback, run as
 *     the real command on a TREC index of the delivered messages), from the
 *     same shipped model, learning every message (`--train-on all`) and only
 *     its errors (`--train-on error`, what the user's corrections give the
 *     fleet, but at once instead of a pass later); all figures by TREC's
 *     1-ROCA% (`oneMinusRocaPct`, the one eval uses);
 *   - corrections learned per second fleet-wide (a separate phase: M
 *     keyword corrections at once, detected and learned by L racing learners);
 *   - ZooKeeper bytes per correction (log entry while pending, and what stays
 *     after compaction: the cursors' UID ranges).
 *
 *   npx tsx scripts/bench-learning.ts [--fixture DIR] [--chunks N] [--processors N] [--learners L] [--burst M]
 *
 * Default stream: the SpamAssassin TEST split (fixtures/generated, built by
 * setup.sh) in its key order, 10 chunks, 2 processors. Needs `npm run build`.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ImapFlow } from 'imapflow';
import { DEFAULT_MODEL_PATH, oneMinusRocaPct, SpamModel, type Scored } from '../src/classifier/index.js';
import { listJobs, readDoneMarkers, ZkSession } from '../src/coordination/index.js';
import { decodeBatchResult } from '../src/pipeline/index.js';
import { decodeHead, detectCorrections, learnPending, learnPath, ModelStore, openLearnLog } from '../src/pipeline/learning/index.js';
import { startDovecot, stopDovecot } from '../src/servers/dovecot.js';
import { startZooKeeper } from '../src/servers/zookeeper.js';
import { PACKAGE_ROOT, SPAMZK_BIN } from '../src/shared/index.js';
import { FeedbackClient, FixtureSource, imapAccountOf, Secret } from '../src/sources/index.js';
import { markdownTable } from './markdown-table.js';

const { values: args } = parseArgs({
  options: {
    fixture: { type: 'string', default: join(PACKAGE_ROOT, 'fixtures', 'generated', 'spamassassin-test') },
    chunks: { type: 'string', default: '10' },
    processors: { type: 'string', default: '2' },
    learners: { type: 'string', default: '3' },
    burst: { type: 'string', default: '400' },
  },
});
const USER = 'bench';
const PASSWORD = 'bench-learning password';
const ROOT = '/bench-learning';
// The user corrects and the next chunk arrives between two passes: APPEND runs at ~190 msgs/s (docs/findings.md).
const EVERY_S = 8;

interface Labelled { raw: Buffer; label: 'spam' | 'ham' }

async function readStream(fixture: string): Promise<Labelled[]> {
  const source = new FixtureSource(fixture);
  await source.open();
  const keys = await source.listKeys();
  const messages = await source.fetchRange({ first: keys[0]!, last: keys[keys.length - 1]! });
  await source.close();
  return messages.filter((m) => m.label === 'spam' || m.label === 'ham').map((m) => ({ raw: m.raw, label: m.label as 'spam' | 'ham' }));
}

interface OnlineFigures { oneMinusRocaPct: number; learned: number; messages: number }

/**
 * The reference: the real `spamzk eval --online` on the same messages in the
 * same order (a TREC index of them), from the shipped model the fleet starts from.
 */
async function evalOnline(stream: readonly Labelled[], dir: string, trainOn: 'all' | 'error'): Promise<OnlineFigures> {
  mkdirSync(join(dir, 'msgs'), { recursive: true });
  const lines = stream.map((m, i) => {
    const name = `msgs/${String(i + 1).padStart(6, '0')}.eml`;
    writeFileSync(join(dir, name), m.raw);
    return `${m.label} ${name}`;
  });
  writeFileSync(join(dir, 'index'), `${lines.join('\n')}\n`);
  const r = await runCli(['eval', '--online', '--index', join(dir, 'index'), '--from', DEFAULT_MODEL_PATH, '--train-on', trainOn, '--json']);
  if (r.code !== 0) throw new Error(`spamzk eval --online exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as OnlineFigures;
}

function noLearning(stream: readonly Labelled[]): Scored[] {
  const model = SpamModel.load();
  return stream.map((m) => {
    const v = model.classify(m.raw);
    return { truth: m.label, label: v.label, score: v.score };
  });
}

/** TREC's 1-ROCA%, as `spamzk eval --online` computes it (logit scores; unsure counts as ham). */
const oneMinusRoca = (s: readonly Scored[]): string =>
  oneMinusRocaPct(s.map((x) => ({ truth: x.truth, score: logit(x.score), calledSpam: x.label === 'spam' }))).toFixed(3);
const logit = (p: number): number => Math.log(Math.max(p, 1e-12) / Math.max(1 - p, 1e-12));

async function main(): Promise<void> {
  const stream = await readStream(args.fixture!);
  const chunks = Number(args.chunks);
  const size = Math.ceil(stream.length / chunks);
  const scratch = mkdtempSync(join(tmpdir(), 'spamzk-bench-learning-'));
  const [zk, dovecot] = await Promise.all([
    startZooKeeper({ nodes: 1, baseDir: join(scratch, 'zk') }),
    startDovecot({ dir: mkdtempSync(join(tmpdir(), 'spamzk-bench-dovecot-')), users: [{ name: USER, password: PASSWORD }] }),
  ]);
  const session = new ZkSession({ connectString: zk.connectString });
  await session.start();
  const user = new ImapFlow({ host: '127.0.0.1', port: dovecot.imapPort, secure: false, doSTARTTLS: false, auth: { user: USER, pass: PASSWORD }, logger: false, disableAutoIdle: true });
  user.on('error', () => undefined);
  try {
    await user.connect();
    await user.mailboxCreate('Junk');
    const labels = new Map<number, 'spam' | 'ham'>();
    const deliver = async (part: readonly Labelled[]): Promise<void> => {
      for (const m of part) labels.set(((await user.append('INBOX', m.raw)) as { uid: number }).uid, m.label);
    };
    await deliver(stream.slice(0, size));
    const store = join(scratch, 'models');
    const imapsUrl = `imaps://${USER}@127.0.0.1:${dovecot.imapsPort}/INBOX`;
    const started = performance.now();
    const run = runCli(['run', '--imap', imapsUrl, '--ca-file', dovecot.caFile, '--zk', zk.connectString, '--zk-root', ROOT,
      '--processors', args.processors!, '--batch-size', '50', '--every', `${EVERY_S}s`, '--passes', String(chunks), '--learn',
      '--model-store', store, '--report-dir', join(scratch, 'report'), '--json', '--no-progress']);
    let exited: { code: number | null; stderr: string } | undefined;
    void run.then((r) => (exited = r));
    let correctionsMade = 0;
    for (let pass = 1; pass <= chunks; pass++) {
      const verdicts = await waitForVerdicts(session, labels.size, () => exited);
      correctionsMade += await correctErrors(user, verdicts, labels);
      if (pass < chunks) await deliver(stream.slice(pass * size, (pass + 1) * size));
    }
    const result = await run;
    if (result.code !== 0) throw new Error(`spamzk run exited ${result.code}: ${result.stderr.slice(-2000)}`);
    const loopS = (performance.now() - started) / 1000;
    const verdicts = await waitForVerdicts(session, labels.size);
    const fleet: Scored[] = [...verdicts].map(([uid, v]) => ({ truth: labels.get(uid)!, label: v.verdict as Scored['label'], score: v.score }));
    const versions = new Set([...verdicts.values()].map((v) => v.version));
    const head = decodeHead(await (await openLearnLog(session, ROOT, imapAccountOf(imapsUrl), '')).readHead());
    const delivered = stream.slice(0, labels.size);
    const referenceAll = await evalOnline(delivered, join(scratch, 'online'), 'all');
    const referenceErrors = await evalOnline(delivered, join(scratch, 'online'), 'error');
    const burst = await measureBurst(session, dovecot.imapPort, store, Number(args.learners), Number(args.burst));
    const bytes = await zkBytes(session, learnPath(ROOT, imapAccountOf(imapsUrl)));
    console.log(`stream: ${labels.size} messages from ${args.fixture} in ${chunks} chunks; fleet of ${args.processors} processors; loop ${loopS.toFixed(1)} s`);
    console.log(markdownTable(['run', '1-ROCA%', 'corrections', 'model versions'], [
      [`fleet: spamzk run --learn, user corrects errors between passes`, oneMinusRoca(fleet), `${correctionsMade} made, ${head.learned.spam + head.learned.ham} learned (${head.learned.spam} spam, ${head.learned.ham} ham; the last pass's wait for the next run)`, `${versions.size} used, head v${head.version}`],
      ['reference: spamzk eval --online --train-on all (immediate feedback, every message)', referenceAll.oneMinusRocaPct.toFixed(3), `${referenceAll.learned} learned of ${referenceAll.messages}`, '-'],
      ['reference: spamzk eval --online --train-on error (immediate feedback, errors only)', referenceErrors.oneMinusRocaPct.toFixed(3), `${referenceErrors.learned} learned of ${referenceErrors.messages}`, '-'],
      ['base model, no learning', oneMinusRoca(noLearning(delivered)), '0', 'v0'],
    ]));
    console.log(`\nfleet-wide learning: ${burst.corrections} corrections detected and learned by ${burst.learners} racing learners in ${burst.seconds.toFixed(2)} s = ${(burst.corrections / burst.seconds).toFixed(0)} corrections/s (${burst.versions} versions)`);
    console.log(`ZooKeeper bytes per correction: ${burst.pendingBytesPerCorrection.toFixed(0)} while pending (log entry data + name); after compaction ${bytes.total} bytes stay under the account (head ${bytes.head}, cursors ${bytes.cursors}, log ${bytes.log}) for ${head.learned.spam + head.learned.ham + burst.corrections} corrections = ${(bytes.total / (head.learned.spam + head.learned.ham + burst.corrections)).toFixed(1)} bytes each`);
  } finally {
    await user.logout().catch(() => undefined);
    await session.close();
    await Promise.all([zk.stop(), stopDovecot(dovecot)]);
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Committed { verdict: string; score: number; version: number }

/** Waits until every delivered message has a committed verdict; returns them by UID. */
async function waitForVerdicts(session: ZkSession, delivered: number, runEnded: () => { code: number | null; stderr: string } | undefined = () => undefined): Promise<Map<number, Committed>> {
  for (const deadline = Date.now() + 300_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const ended = runEnded();
    if (ended) throw new Error(`spamzk run ended (code ${ended.code}) before classifying all ${delivered} messages: ${ended.stderr.slice(-3000)}`);
    const job = (await listJobs(session, ROOT))[0];
    if (!job) continue;
    const out = new Map<number, Committed>();
    for (const marker of await readDoneMarkers(session, ROOT, job.jobId)) {
      const r = decodeBatchResult(marker.result);
      for (const m of r.messages) out.set(m.key, { verdict: m.verdict, score: m.score ?? 0.5, version: r.modelVersion ?? 0 });
    }
    if (out.size >= delivered) return out;
  }
  throw new Error(`the fleet did not classify ${delivered} messages within 5 min`);
}

const corrected = new Set<number>();

/** The simulated user: every error of the verdicts so far that is not yet corrected gets the keyword a client sets. */
async function correctErrors(user: ImapFlow, verdicts: Map<number, Committed>, labels: Map<number, 'spam' | 'ham'>): Promise<number> {
  const toJunk: number[] = [];
  const toNotJunk: number[] = [];
  for (const [uid, v] of verdicts) {
    if (corrected.has(uid)) continue;
    const truth = labels.get(uid);
    if (truth === 'spam' && v.verdict !== 'spam') toJunk.push(uid);
    if (truth === 'ham' && v.verdict === 'spam') toNotJunk.push(uid);
  }
  await user.mailboxOpen('INBOX');
  if (toJunk.length) await user.messageFlagsAdd(toJunk.join(','), ['$Junk'], { uid: true });
  if (toNotJunk.length) await user.messageFlagsAdd(toNotJunk.join(','), ['$NotJunk'], { uid: true });
  for (const uid of [...toJunk, ...toNotJunk]) corrected.add(uid);
  return toJunk.length + toNotJunk.length;
}

/** M keyword corrections at once (on ham the lookup says spamzk called ham), detected once, learned by L racing learners. */
async function measureBurst(session: ZkSession, imapPort: number, storeDir: string, learners: number, m: number) {
  const client = new FeedbackClient({ url: `imap://${USER}@127.0.0.1:${imapPort}/INBOX`, password: new Secret(PASSWORD), allowPlaintext: true });
  await client.open();
  const user = await client.junkMailbox(); // also checks the account
  void user;
  const sessions = await Promise.all(Array.from({ length: learners }, async () => {
    const s = new ZkSession({ connectString: session.connectString });
    await s.start();
    return s;
  }));
  const clients = await Promise.all(sessions.map(async () => {
    const c = new FeedbackClient({ url: `imap://${USER}@127.0.0.1:${imapPort}/INBOX`, password: new Secret(PASSWORD), allowPlaintext: true });
    await c.open();
    return c;
  }));
  try {
    const log = await openLearnLog(session, ROOT, client.account, '');
    const flagger = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, doSTARTTLS: false, auth: { user: USER, pass: PASSWORD }, logger: false, disableAutoIdle: true });
    flagger.on('error', () => undefined);
    await flagger.connect();
    await flagger.mailboxOpen('INBOX');
    const candidates: number[] = [];
    for await (const msg of flagger.fetch('1:*', { uid: true, flags: true }, { uid: true })) {
      if (![...(msg.flags ?? [])].some((f) => f === '$Junk' || f === '$NotJunk')) candidates.push(msg.uid);
    }
    const chosen = candidates.slice(0, m);
    await flagger.messageFlagsAdd(chosen.join(','), ['Junk'], { uid: true });
    await flagger.logout();
    const verdictOf = (uid: number) => (chosen.includes(uid) ? ('ham' as const) : undefined);
    const before = decodeHead(await log.readHead()).version;
    const started = performance.now();
    const found = await detectCorrections({ log, client, filteredMailbox: 'INBOX', junkMailbox: 'Junk', verdictOf });
    const pendingBytes = (await log.pending()).reduce((sum, r) => sum + r.data.length + r.name.length, 0);
    await Promise.all(sessions.map(async (s, i) => {
      const mine = await openLearnLog(s, ROOT, client.account, '');
      for (;;) {
        const step = await learnPending({ log: mine, store: new ModelStore(storeDir), fetch: (mb, v, u) => clients[i]!.fetch(mb, v, u), loadBase: () => SpamModel.load() });
        if (step.outcome === 'nothing') return;
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const after = decodeHead(await log.readHead()).version;
    return { corrections: found.length, learners, seconds, versions: after - before, pendingBytesPerCorrection: pendingBytes / Math.max(1, found.length) };
  } finally {
    await client.close();
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(sessions.map((s) => s.close()));
  }
}

async function zkBytes(session: ZkSession, path: string): Promise<{ head: number; cursors: number; log: number; total: number }> {
  const head = (await session.getData(`${path}/head`)).data.length;
  let cursors = 0;
  for (const c of await session.getChildren(`${path}/cursors`)) cursors += (await session.getData(`${path}/cursors/${c}`)).data.length + c.length;
  let log = 0;
  for (const c of await session.getChildren(`${path}/log`)) log += (await session.getData(`${path}/log/${c}`)).data.length + c.length;
  return { head, cursors, log, total: head + cursors + log };
}

function runCli(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SPAMZK_BIN, ...argv], { env: { ...process.env, SPAMZK_IMAP_PASSWORD: PASSWORD, SPAMZK_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

await main();
