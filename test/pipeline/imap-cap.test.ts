/**
 * The fleet-wide IMAP connection cap, with real processes: `spamzk run` with
 * 6 processors and --imap-max-connections 4 against a real Dovecot and a real
 * ZooKeeper. While the job runs, the user's concurrent IMAP sessions are
 * counted on Dovecot itself (one `imap` process per session, children of this
 * instance's master) every few milliseconds. Part-way through, a processor
 * that holds a lease is SIGKILLed: its lease znode must go with its session,
 * and the job must still complete with every message once.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZkSession } from '../../src/coordination/index.js';
import { FleetConnectionCap, imapSemaphorePath } from '../../src/pipeline/index.js';
import { ImapSource, Secret } from '../../src/sources/index.js';
import { imapSessionPids, loadMailbox } from '../../src/servers/dovecot.js';
import { tempDirs } from '../support/temp-dirs.js';
import { fixtureMessages, parseReport, runCli, startTestServers, TEST_SPLIT, type TestServers } from './harness.js';

const USER = 'capped-account';
const PASSWORD = 'cap test password 91bd';
const ROOT = '/imap-cap';
const CAP = 4;
const PROCESSORS = 6;
/** The TEST split three times over (distinct UIDs), so the job outlives a session timeout after the kill. */
const COPIES = 3;

const temp = tempDirs();
let servers: TestServers;
let uids: number[];
let session: ZkSession;

beforeAll(async () => {
  const messages = await fixtureMessages(TEST_SPLIT);
  servers = await startTestServers(USER, PASSWORD);
  const loaded = Array.from({ length: COPIES }, (_, copy) => messages.map((m, i) => ({ uid: 1 + copy * messages.length + i, raw: m.raw }))).flat();
  uids = loaded.map((m) => m.uid);
  loadMailbox(servers.dovecot, { user: USER, uidValidity: 1_700_000_777, messages: loaded });
  // Started after the load: writing 3,723 files blocks the event loop for long enough to lose a session.
  session = new ZkSession({ connectString: servers.zk.connectString });
  await session.start();
});

afterAll(async () => {
  await session?.close();
  await servers?.stop();
  temp.removeAll();
});

/**
 * The user's IMAP sessions on this Dovecot: its master's `imap` children, read
 * from /proc/<master>/task/<master>/children (a few hundred µs, against tens of
 * ms for a scan of all of /proc on a busy machine); the full scan otherwise.
 */
function imapSessions(): number {
  const master = servers.dovecot.pid;
  let children: string[];
  try {
    children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return imapSessionPids(servers.dovecot).length;
  }
  let count = 0;
  for (const pid of children) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'imap') count++;
    } catch {
      // exited while we looked
    }
  }
  return count;
}

/** Counts Dovecot's `imap` session processes until stopped: the highest count, and when each count was seen. */
function sampleSessions(): { stop(): Promise<{ max: number; samples: { at: number; count: number }[] }> } {
  const samples: { at: number; count: number }[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push({ at: Date.now(), count: imapSessions() });
      await sleep(2);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { max: Math.max(...samples.map((s) => s.count)), samples };
    },
  };
}

/** The lease znode names in line order (holders first). */
async function leaseNames(path: string): Promise<string[]> {
  const names = await session.getChildren(path).catch(() => [] as string[]);
  return names.sort((a, b) => Number(a.slice(-10)) - Number(b.slice(-10)));
}

/** The pid in a lease's holder, a processor id `<host>.<pid>.<random>`; undefined if the lease is already gone. */
async function holderPid(path: string, name: string): Promise<number | undefined> {
  const data = await session.getData(`${path}/${name}`).catch(() => undefined);
  if (!data) return undefined;
  const { holder } = JSON.parse(data.data.toString('utf8')) as { holder: string };
  return Number(holder.split('.').at(-2));
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > giveUpAt) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

function runJob(root: string, extra: string[]): ReturnType<typeof runCli> {
  const url = `imaps://${USER}@127.0.0.1:${servers.dovecot.imapsPort}/INBOX`;
  return runCli(
    ['run', '--imap', url, '--ca-file', servers.dovecot.caFile, '--zk', servers.zk.connectString, '--zk-root', root,
      '--processors', String(PROCESSORS), '--batch-size', '25', '--session-timeout', '4s', ...extra,
      '--json', '--report-dir', temp.make('spamzk-cap-report-')],
    { SPAMZK_IMAP_PASSWORD: PASSWORD },
  );
}

function expectEveryMessageOnce(stdout: string): void {
  const report = parseReport(stdout);
  expect(report.totals.messages).toBe(uids.length);
  expect(report.verdicts.map((v) => v.key).sort((a, b) => a - b)).toEqual(uids);
  expect(report.integrity.ok).toBe(true);
}

describe('the fleet-wide IMAP connection cap', () => {
  it('without a cap, 6 processors hold more than 4 IMAP sessions at once (the sampler sees an excess)', async () => {
    const sampler = sampleSessions();
    const result = await runJob('/imap-uncapped', []);
    const { max, samples } = await sampler.stop();
    console.log(`imap cap: without a cap, max concurrent IMAP sessions ${max} (${PROCESSORS} processors, ${samples.length} samples)`);
    expect(result.code, result.stderr).toBe(0);
    expect(max).toBeGreaterThan(CAP);
  }, 180_000);

  it('6 processors with a cap of 4 never hold more than 4 IMAP sessions, reach 4, and a SIGKILLed holder\'s lease returns', async () => {
    const path = imapSemaphorePath(ROOT, `imaps://${USER}@127.0.0.1:${servers.dovecot.imapsPort}/INBOX`);
    const sampler = sampleSessions();
    const started = Date.now();
    const run = runJob(ROOT, ['--imap-max-connections', String(CAP)]);
    // Once the cap is full, SIGKILL a processor that holds a lease.
    const victim = await until('4 leases held', async () => {
      const line = await leaseNames(path);
      if (line.length < CAP) return undefined;
      const pid = await holderPid(path, line[0]!);
      return pid === undefined ? undefined : { name: line[0]!, pid };
    }, 90_000);
    process.kill(victim.pid, 'SIGKILL');
    const killedAt = Date.now();
    await until('the killed holder\'s lease znode to go', async () => ((await leaseNames(path)).includes(victim.name) ? undefined : true), 15_000);
    const returnedAt = Date.now();

    const result = await run;
    const { max, samples } = await sampler.stop();
    const afterReturn = samples.filter((s) => s.at > returnedAt);
    console.log(
      `imap cap: max concurrent IMAP sessions ${max} (cap ${CAP}, ${PROCESSORS} processors, ${samples.length} samples over ${Date.now() - started} ms); ` +
        `lease of killed pid ${victim.pid} gone ${returnedAt - killedAt} ms after SIGKILL; max after that ${Math.max(0, ...afterReturn.map((s) => s.count))}`,
    );

    expect(result.code, result.stderr).toBe(0);
    expect(max).toBeLessThanOrEqual(CAP);
    expect(max).toBe(CAP);
    // The dead holder's place was handed on: the fleet filled all 4 places again after its lease went.
    expect(Math.max(0, ...afterReturn.map((s) => s.count))).toBe(CAP);
    expectEveryMessageOnce(result.stdout);
    // No lease is left behind once every processor has exited.
    expect(await leaseNames(path)).toEqual([]);
  }, 180_000);

  it('a source keeps its connection and its one lease across back-to-back batches, and gives both back once idle', async () => {
    const url = `imap://${USER}@127.0.0.1:${servers.dovecot.imapPort}/INBOX`;
    const cap = new FleetConnectionCap({
      connectString: servers.zk.connectString,
      sessionTimeoutMs: 10_000,
      zkRoot: '/imap-cap-idle',
      imapUrl: url,
      maxConnections: 2,
      holder: 'idle-test',
    });
    const source = new ImapSource({ url, password: new Secret(PASSWORD), allowPlaintext: true, connectionCap: cap, idleCloseMs: 2_000, requestsPerSecond: 0 });
    try {
      await source.open();
      const before = await session.exists(cap.path);
      // Five batches in a row, as a processor fetches them: one connection, so one lease.
      for (let b = 0; b < 5; b++) expect(await source.fetchRange({ first: 1 + b * 25, last: 25 + b * 25 })).toHaveLength(25);
      const during = await session.exists(cap.path);
      // cversion counts child creations and deletions: nothing happened to the line during the five batches.
      expect(during!.cversion).toBe(before!.cversion);
      expect(await leaseNames(cap.path)).toHaveLength(1);
      expect(imapSessions()).toBe(1);
      await until('the idle connection to close and return its lease', async () => ((await leaseNames(cap.path)).length === 0 && imapSessions() === 0 ? true : undefined), 8_000);
    } finally {
      await source.close();
      await cap.close();
    }
  }, 60_000);

  it('a connection whose lease session ends is closed at once: its place may be someone else\'s', async () => {
    const url = `imap://${USER}@127.0.0.1:${servers.dovecot.imapPort}/INBOX`;
    const cap = new FleetConnectionCap({
      connectString: servers.zk.connectString,
      sessionTimeoutMs: 10_000,
      zkRoot: '/imap-cap-lost',
      imapUrl: url,
      maxConnections: 1,
      holder: 'lost-test',
    });
    // Idle connections would be kept for a minute: only the lease's end can close this one.
    const source = new ImapSource({ url, password: new Secret(PASSWORD), allowPlaintext: true, connectionCap: cap, idleCloseMs: 60_000, requestsPerSecond: 0 });
    try {
      await source.open();
      expect(imapSessions()).toBe(1);
      await cap.close(); // ends the session that holds the lease, as a lost session does
      await until('the connection to close', async () => (imapSessions() === 0 ? true : undefined), 5_000);
    } finally {
      await source.close();
    }
  }, 60_000);
});
