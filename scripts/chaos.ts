/**
 * Chaos run: the whole product under faults, audited.
 *
 *   npx tsx scripts/chaos.ts                  # CI version: 3 rounds
 *   npx tsx scripts/chaos.ts --quick --json   # 2 rounds, JSON summary as the last line (the test)
 *   npx tsx scripts/chaos.ts --rounds 50      # the long version
 *   options: --seed S, --processors N, --batch-size N, --all (6046 messages instead of the TEST split),
 *            --learn (a user makes corrections during the rounds; two learners learn them through the faults: scripts/chaos/learning.ts)
 *
 * It starts a 3-node ZooKeeper ensemble and Dovecot (IMAPS, verified TLS with
 * the instance's own CA) holding the SpamAssassin corpus. Each round loads the
 * mailbox under a new UIDVALIDITY (a new job) and runs real `spamzk processor`
 * processes under its own --zk-root. Once the job is planned, a seeded
 * schedule (one fault of each kind plus up to three more, within 3 s) kills
 * and pauses processors, kills the ZooKeeper leader, restarts Dovecot, cuts
 * IMAP connections and hangs IMAP sessions (scripts/chaos/faults.ts). Dead
 * processors are replaced until the job completes; then the round is audited
 * from ZooKeeper and from the report (scripts/chaos/audit.ts).
 * Exit 0 only if every round's audit passed and every fault kind was injected.
 * Needs dist/ (npx tsc): the processors are the compiled CLI.
 * Environment: CHAOS_LOG_LEVEL (processors' log level, default warn),
 * CHAOS_KEEP=1 (keep the servers' and processors' logs of a passing run).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { listJobs, readJobStatus, ZkSession } from '../src/coordination/index.js';
import { listCorpus, readCorpusMessage } from '../src/corpus/index.js';
import { LOG_LEVELS, type LogLevel } from '../src/pipeline/index.js';
import { loadMailbox, startDovecot, stopDovecot, type DovecotServer } from '../src/servers/dovecot.js';
import { startZooKeeper, type ZooKeeperCluster } from '../src/servers/zookeeper.js';
import { auditRound } from './chaos/audit.js';
import { classifyAlone } from './chaos/expected.js';
import { injectFault, type FaultTargets, type InjectedFault } from './chaos/faults.js';
import { ChaosFleet } from './chaos/fleet.js';
import { ChaosLearning } from './chaos/learning.js';
import { FAULT_KINDS, planRound, seededRandom, type FaultKind } from './chaos/schedule.js';
import { renderTable, totalOf, type RoundRow } from './chaos/table.js';

/** CHAOS_LOG_LEVEL sets the processors' log level (warn unless told). */
function chaosLogLevel(): LogLevel {
  const level = process.env.CHAOS_LOG_LEVEL ?? 'warn';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`CHAOS_LOG_LEVEL="${level}" is not one of ${LOG_LEVELS.join(', ')}`);
  return level as LogLevel;
}

const SESSION_TIMEOUT_MS = 4_000;
const STALE_AFTER_MS = 8_000;
const TICK_MS = 500;
const USER = 'chaos';
const ROUND_TIMEOUT_MS = 120_000;

/** The processors of the round in progress (an interrupt kills them too). */
let activeFleet: ChaosFleet | undefined;

interface ChaosOptions {
  rounds: number;
  seed: number;
  processors: number;
  batchSize: number;
  all: boolean;
  json: boolean;
  learn: boolean;
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const workDir = mkdtempSync(join(tmpdir(), 'spamzk-chaos-'));
  // Dovecot's auth and mail processes (other uids) must traverse it; mkdtemp gives 0700.
  chmodSync(workDir, 0o711);
  const secrets = { imap: `imap-${randomBytes(9).toString('hex')}`, zk: `zk-${randomBytes(9).toString('hex')}` };
  const say = (line: string): void => void process.stderr.write(`${line}\n`);

  say(`chaos: seed ${opts.seed}, ${opts.rounds} rounds, ${opts.processors} processors, batch size ${opts.batchSize}`);
  const mailbox = loadCorpus(opts.all);
  say(`chaos: ${mailbox.length} messages`);
  let zk: ZooKeeperCluster | undefined;
  let dovecot: DovecotServer | undefined;
  const rows: RoundRow[] = [];
  let currentDovecot = (): DovecotServer | undefined => undefined;
  const interrupted = (): void => {
    const server = currentDovecot() ?? dovecot;
    void Promise.allSettled([activeFleet?.close(), zk?.stop(), server && stopDovecot(server)]).finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    [zk, dovecot] = await Promise.all([
      startZooKeeper({ nodes: 3, tickTimeMs: TICK_MS, baseDir: join(workDir, 'zk') }),
      startDovecot({ dir: join(workDir, 'dovecot'), users: [{ name: USER, password: secrets.imap }] }),
    ]);
    const random = seededRandom(opts.seed);
    const targets = { zk, dovecot, random } as { zk: ZooKeeperCluster; dovecot: DovecotServer; random: () => number };
    // A Dovecot restart replaces the master: stop whichever is current.
    currentDovecot = () => targets.dovecot;
    for (let round = 1; round <= opts.rounds; round++) {
      const row = await runRound(round, opts, mailbox, targets, secrets, workDir);
      rows.push(row);
      const faults = FAULT_KINDS.map((k) => `${k} ${row.faults[k]}`).join(', ');
      const a = row.audit;
      say(`round ${round}: ${a.ok ? 'ok' : `FAIL: ${a.problems.join(' | ')}`} (${(row.wallMs / 1000).toFixed(1)} s; ${faults}; missing ${a.missing}, double ${a.doubleCommitted}, wrong ${a.wrongVerdicts}, fenced ${a.fencedRejected}, reclaims ${a.reclaims}, replaced ${row.replaced})`);
      for (const line of row.log) say(`  ${line}`);
    }
  } finally {
    const current = currentDovecot() ?? dovecot;
    await Promise.all([zk?.stop(), current && stopDovecot(current)]);
  }
  const total = totalOf(rows);
  const injectedEveryKind = FAULT_KINDS.every((k) => total.faults[k] > 0);
  const ok = rows.length === opts.rounds && total.audit.ok && injectedEveryKind;
  process.stdout.write(`${renderTable(rows)}\n`);
  if (!injectedEveryKind) process.stdout.write('chaos: not every fault kind was injected\n');
  if (opts.json) process.stdout.write(`${JSON.stringify({ ok, seed: opts.seed, rounds: rows, total })}\n`);
  if (ok && !process.env.CHAOS_KEEP) rmSync(workDir, { recursive: true, force: true });
  else say(`chaos: ${ok ? 'ok' : 'FAILED'}; servers' and processors' logs kept under ${workDir}`);
  return ok ? 0 : 1;
}

async function runRound(
  round: number,
  opts: ChaosOptions,
  mailbox: readonly Buffer[],
  targets: { zk: ZooKeeperCluster; dovecot: DovecotServer; random: () => number },
  secrets: { imap: string; zk: string },
  workDir: string,
): Promise<RoundRow> {
  // A new UIDVALIDITY and new UIDs (with gaps) make a new job; its own root keeps rounds apart.
  // UIDVALIDITY is a 32-bit number: Dovecot silently renumbers a uidlist whose value does not fit.
  const uidValidity = 1 + ((1_000_000_000 + opts.seed * 1_009 + round * 7) % 4_000_000_000);
  const uidOf = (i: number): number => 1 + i * 2 + (round % 3);
  loadMailbox(targets.dovecot, { user: USER, uidValidity, messages: mailbox.map((raw, i) => ({ uid: uidOf(i), raw })) });
  const reference = await classifyAlone(opts.all ? undefined : 'test');
  if (reference.verdicts.length !== mailbox.length) throw new Error(`the reference classified ${reference.verdicts.length} messages, the mailbox has ${mailbox.length}`);
  const expected = new Map(reference.verdicts.map((v, i) => [uidOf(i), v]));
  const root = `/chaos-${opts.seed}-r${round}`;
  const roundDir = join(workDir, `round-${round}`);
  mkdirSync(roundDir, { recursive: true });

  const fleet = new ChaosFleet({
    processors: opts.processors,
    order: {
      settings: {
        source: `imaps://${USER}@127.0.0.1:${targets.dovecot.imapsPort}/INBOX`,
        connectString: targets.zk.connectString,
        zkRoot: root,
        model: undefined,
        batchSize: opts.batchSize,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        staleAfterMs: STALE_AFTER_MS,
        maxAttempts: 10,
        imapPasswordFile: undefined,
        caFile: targets.dovecot.caFile,
        insecure: false,
        writeBack: 'off',
      },
      logLevel: chaosLogLevel(),
    },
    env: { SPAMZK_IMAP_PASSWORD: secrets.imap, SPAMZK_ZK_AUTH: `fleet:${secrets.zk}` },
    logFile: join(roundDir, 'processors.log'),
    maxRestartsPerSlot: 25,
  });
  activeFleet = fleet;
  const faultTargets: FaultTargets = { ...targets, fleet, pauseMs: SESSION_TIMEOUT_MS + 2_000, hangMs: STALE_AFTER_MS + 6_000, downMs: 1_000, inProgress: new Map() };
  const schedule = planRound(targets.random, { firstMs: 0, lastMs: 3_000, maxExtra: 3 });

  const started = Date.now();
  let finished = false;
  const injected: InjectedFault[] = [];
  const roundProblems: string[] = [];
  const deadline = setTimeout(() => {
    roundProblems.push(`the job did not complete within ${ROUND_TIMEOUT_MS / 1000} s`);
    void fleet.close();
  }, ROUND_TIMEOUT_MS);
  const running = fleet.run().catch((err: unknown) => void roundProblems.push((err as Error).message));
  // Faults are timed from the moment the job is planned: before that the
  // processors are still starting, and a fault would hit nothing of the job.
  await waitForPlan(targets.zk.connectString, secrets.zk, root, running);
  const learning = opts.learn
    ? new ChaosLearning({
        zkConnect: () => targets.zk.connectString,
        dovecot: () => faultTargets.dovecot,
        auth: { user: 'fleet', password: secrets.zk },
        user: USER,
        imapPassword: secrets.imap,
        root,
        uidValidity,
        expected,
        random: seededRandom(opts.seed * 31 + round),
      })
    : undefined;
  learning?.start(3_000);
  const timers = schedule.map((f) =>
    setTimeout(() => {
      const fault = finished ? { kind: f.kind, atMs: f.atMs, injected: false, detail: 'job already complete', over: Promise.resolve() } : injectFault(f.kind, f.atMs, faultTargets);
      // Awaited after the round; until then a failed restart must not be an unhandled rejection.
      fault.over.catch(() => undefined);
      injected.push(fault);
    }, f.atMs),
  );
  try {
    await running;
  } finally {
    finished = true;
    clearTimeout(deadline);
    timers.forEach(clearTimeout);
    // Servers must be back before the audit and the next round.
    await Promise.all(injected.map((f) => f.over));
    targets.dovecot = faultTargets.dovecot;
    await fleet.close();
  }
  const learned = await learning?.finish();
  const wallMs = Date.now() - started;

  const session = new ZkSession({ connectString: targets.zk.connectString, auth: { user: 'fleet', password: secrets.zk }, sessionTimeoutMs: 10_000 });
  await session.start();
  let audit;
  try {
    const jobs = await listJobs(session, root).catch(() => []);
    if (jobs.length !== 1) roundProblems.push(`${jobs.length} jobs under ${root} (expected 1)`);
    const jobId = fleet.exits.find((e) => e.summary?.jobId)?.summary?.jobId ?? jobs[0]?.jobId;
    if (!jobId) throw new Error(`round ${round}: no job was created; see ${roundDir}/processors.log`);
    audit = await auditRound(session, root, jobId, expected);
    if (roundProblems.length) audit = { ...audit, ok: false, problems: [...roundProblems, ...audit.problems] };
    const spec = (await readJobStatus(session, root, jobId)).spec;
    if (spec.modelId !== reference.modelId) {
      audit = { ...audit, ok: false, problems: [...audit.problems, `the job ran model ${spec.modelId}, the reference ${reference.modelId} (was the model rebuilt during the round?)`] };
    }
  } finally {
    await session.close();
  }
  if (learned && !learned.learnedOnce) audit = { ...audit, ok: false, problems: [...audit.problems, ...learned.problems.map((p) => `learning: ${p}`)] };
  const logs = readFileSync(join(roundDir, 'processors.log'), 'utf8');
  if (logs.includes(secrets.imap) || logs.includes(secrets.zk)) {
    audit = { ...audit, ok: false, problems: [...audit.problems, 'a password appears in the processors\' logs'] };
  }
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, injected.filter((f) => f.kind === k && f.injected).length])) as Record<FaultKind, number>;
  const log = injected.map((f) => `planned+${(f.atMs / 1000).toFixed(1)}s ${f.kind}: ${f.injected ? '' : 'skipped, '}${f.detail}`);
  // Faults whose time came after the job had completed never fired: skipped too.
  const unfired = schedule.length - injected.length;
  if (unfired > 0) log.push(`${unfired} later faults not fired: the job was already complete`);
  if (learning) log.push(...learning.log);
  const learningCell = learned ? { learning: { corrections: learned.corrections, learnedOnce: learned.learnedOnce, versions: learned.versions } } : {};
  return { round, faults, skipped: injected.filter((f) => !f.injected).length + unfired, replaced: fleet.replaced, wallMs, audit, log, ...learningCell };
}

/** Resolves once the round's job has its batches (or the fleet has stopped). */
async function waitForPlan(connectString: string, zkPassword: string, root: string, fleetDone: Promise<unknown>): Promise<void> {
  let stopped = false;
  void fleetDone.finally(() => (stopped = true));
  const session = new ZkSession({ connectString, auth: { user: 'fleet', password: zkPassword }, sessionTimeoutMs: 10_000 });
  await session.start();
  try {
    while (!stopped) {
      const [job] = await listJobs(session, root).catch(() => []);
      if (job && (await readJobStatus(session, root, job.jobId).catch(() => undefined))?.batchCount) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await session.close();
  }
}

function loadCorpus(all: boolean): Buffer[] {
  return listCorpus(all ? undefined : 'test').map(readCorpusMessage);
}

function parseOptions(): ChaosOptions {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string' },
      seed: { type: 'string', default: '1' },
      quick: { type: 'boolean', default: false },
      processors: { type: 'string', default: '3' },
      'batch-size': { type: 'string', default: '25' },
      all: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      learn: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, raw: string, min: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: "${raw}" is not a whole number >= ${min}`);
    return n;
  };
  return {
    rounds: int('rounds', values.rounds ?? (values.quick ? '2' : '3'), 1),
    seed: int('seed', values.seed, 0),
    processors: int('processors', values.processors, 1),
    batchSize: int('batch-size', values['batch-size'], 1),
    all: values.all,
    json: values.json,
    learn: values.learn,
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
