/**
 * Security promises, checked against real ZooKeeper, real Dovecot and the
 * real CLI: the fleet's znodes are closed to clients without its credentials,
 * passwords never leak into logs, reports or process listings, and TLS is
 * verified unless the user says otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import zookeeper from 'node-zookeeper-client';
import { JobPaths, listJobs, readDoneMarkers, readJobStatus, ZkSession, type ZkAuth } from '../../src/coordination/index.js';
import { loadMailbox, startDovecot, stopDovecot, type DovecotServer } from '../../src/servers/dovecot.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { waitUntil } from '../../src/servers/process.js';
import { delay as sleep } from '../../src/shared/index.js';
import { fixtureMessages, runCli, TEST_SPLIT, type CliResult } from '../pipeline/harness.js';
import { tempDirs } from '../support/temp-dirs.js';

const IMAP_USER = 'secure-owner';
const IMAP_PASSWORD = 'imap-Pa55-never-shown-7c1e';
const FLEET: ZkAuth = { user: 'fleet', password: 'zk-digest-never-shown-93ab' };
const FLEET_ENV = { SPAMZK_ZK_AUTH: `${FLEET.user}:${FLEET.password}` };

let zk: ZooKeeperCluster;
let dovecot: DovecotServer;

const temp = tempDirs();
const tempDir = temp.make;

beforeAll(async () => {
  const dir = tempDir('spamzk-security-dovecot-');
  let messages: Awaited<ReturnType<typeof fixtureMessages>>;
  [zk, dovecot, messages] = await Promise.all([
    startZooKeeper({ nodes: 1 }),
    startDovecot({ dir, users: [{ name: IMAP_USER, password: IMAP_PASSWORD }] }),
    fixtureMessages(TEST_SPLIT),
  ]);
  loadMailbox(dovecot, { user: IMAP_USER, uidValidity: 424242, messages: messages.slice(0, 40).map((m, i) => ({ uid: 10 + i, raw: m.raw })) });
});

afterAll(async () => {
  await Promise.all([zk?.stop(), dovecot && stopDovecot(dovecot)]);
  temp.removeAll();
});

const imapsUrl = (): string => `imaps://${IMAP_USER}@127.0.0.1:${dovecot.imapsPort}/INBOX`;

async function withSession<T>(auth: ZkAuth | undefined, use: (s: ZkSession) => Promise<T>): Promise<T> {
  const session = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 10_000, ...(auth ? { auth } : {}) });
  await session.start();
  try {
    return await use(session);
  } finally {
    await session.close();
  }
}

/** The ZooKeeper error code a request failed with (0 if it succeeded). */
async function zkCodeOf(request: Promise<unknown>): Promise<number> {
  try {
    await request;
    return 0;
  } catch (err) {
    return (err as { zkCode?: number }).zkCode ?? -1;
  }
}

/** Every command line of `pid` and its descendants, read from /proc while it runs. */
function commandLinesUnder(pid: number): string[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // exited meanwhile
    }
  }
  const lines: string[] = [];
  for (const [child] of parentOf) {
    let p: number | undefined = child;
    while (p !== undefined && p > 1 && p !== pid) p = parentOf.get(p);
    if (p !== pid && child !== pid) continue;
    try {
      lines.push(readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').join(' '));
    } catch {
      // exited meanwhile
    }
  }
  return lines;
}

describe('without the fleet credentials', () => {
  it('a client can neither delete a live claim nor forge a done marker of a job run with credentials', async () => {
    // One batch of 1241 messages keeps its claim alive long enough to be attacked.
    const root = '/secure-acl';
    const run = runCli(
      ['processor', TEST_SPLIT, '--zk', zk.connectString, '--zk-root', root, '--batch-size', '2000', '--session-timeout', '10s'],
      FLEET_ENV,
    );
    let claimPath = '';
    let paths: JobPaths | undefined;
    await withSession(FLEET, async (fleet) => {
      await waitUntil('a live claim of the processor', async () => {
        const [job] = await listJobs(fleet, root);
        if (!job) return false;
        paths = new JobPaths(root, job.jobId);
        const claims = (await fleet.getChildren(paths.batch(0))).filter((n) => n.startsWith('claim-'));
        if (claims.length === 0) return false;
        claimPath = paths.claim(0, claims[0]!);
        return true;
      }, 20_000);
    });
    process.kill(run.pid, 'SIGSTOP');
    try {
      for (const intruder of [undefined, { user: FLEET.user, password: 'a guess' }]) {
        await withSession(intruder, async (s) => {
          expect(await zkCodeOf(s.remove(claimPath, -1))).toBe(zookeeper.Exception.NO_AUTH);
          expect(await zkCodeOf(s.create(paths!.done(0), Buffer.from('forged'), zookeeper.CreateMode.PERSISTENT))).toBe(zookeeper.Exception.NO_AUTH);
          expect(await zkCodeOf(s.setData(paths!.batch(0), Buffer.from('{}'), -1))).toBe(zookeeper.Exception.NO_AUTH);
          expect(await zkCodeOf(s.remove(paths!.batch(0), -1))).toBe(zookeeper.Exception.NO_AUTH);
          // Reads are closed too: the verdicts are the mailbox owner's business.
          expect(await zkCodeOf(s.getChildren(paths!.batches))).toBe(zookeeper.Exception.NO_AUTH);
        });
      }
    } finally {
      process.kill(run.pid, 'SIGCONT');
    }
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    // The claim survived the attempts and its owner's commit is the one stored.
    await withSession(FLEET, async (fleet) => {
      const status = await readJobStatus(fleet, root, paths!.jobId);
      expect(status.complete).toBe(true);
      const [marker] = await readDoneMarkers(fleet, root, paths!.jobId);
      expect(claimPath).toContain(`claim-${marker!.processorId}-`);
    });
  });
});

describe('passwords', () => {
  it('never appear in logs, reports or process listings', async () => {
    const reportDir = tempDir('spamzk-security-report-');
    const run = runCli(
      ['run', '--imap', imapsUrl(), '--ca-file', dovecot.caFile, '--zk', zk.connectString, '--zk-root', '/secure-leaks',
        '--processors', '2', '--batch-size', '10', '--log-level', 'debug', '--json', '--report-dir', reportDir],
      { ...FLEET_ENV, SPAMZK_IMAP_PASSWORD: IMAP_PASSWORD },
    );
    const listings = new Set<string>();
    let finished = false;
    void run.finally(() => (finished = true));
    while (!finished) {
      for (const line of commandLinesUnder(run.pid)) listings.add(line);
      await sleep(25);
    }
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    // The processes were really looked at: the parent and its processor children.
    expect([...listings].some((l) => / processor imaps:\/\//.test(l))).toBe(true);
    const reports = ['report.json', 'report.md', 'report.html'].map((f) => readFileSync(join(reportDir, f), 'utf8'));
    for (const [where, text] of [['stdout', result.stdout], ['stderr (debug logs)', result.stderr], ['process listings', [...listings].join('\n')], ...reports.map((r, i) => [`report file ${i}`, r])]) {
      expect(text, where).not.toContain(IMAP_PASSWORD);
      expect(text, where).not.toContain(FLEET.password);
    }
    expect(result.stderr.length).toBeGreaterThan(0);
  });

  it('a wrong IMAP password is reported without echoing it', async () => {
    const wrong = 'wrong-Pa55-also-secret-11d4';
    const result = await runCli(['run', '--imap', imapsUrl(), '--ca-file', dovecot.caFile, '--zk', zk.connectString, '--zk-root', '/secure-wrong'], {
      ...FLEET_ENV,
      SPAMZK_IMAP_PASSWORD: wrong,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/auth|login|password|credential/i);
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });
});

describe('TLS', () => {
  const runImaps = (flags: string[], root: string): Promise<CliResult> =>
    runCli(['run', '--imap', imapsUrl(), '--zk', zk.connectString, '--zk-root', root, '--json', '--report-dir', tempDir('spamzk-tls-'), ...flags], {
      ...FLEET_ENV,
      SPAMZK_IMAP_PASSWORD: IMAP_PASSWORD,
    });

  it('an untrusted certificate stops the run with a clear TLS error and exit code 3', async () => {
    const result = await runImaps([], '/secure-tls-default');
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/TLS/);
    expect(result.stderr).toMatch(/certificate/i);
    expect(result.stderr).toMatch(/--ca-file/);
  });

  it('with --ca-file naming the server\'s CA the run succeeds', async () => {
    const result = await runImaps(['--ca-file', dovecot.caFile], '/secure-tls-ca');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/certificate checks are OFF/i);
  });

  it('with --insecure the run succeeds and warns loudly', async () => {
    const result = await runImaps(['--insecure'], '/secure-tls-insecure');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/TLS certificate checks are OFF/);
  });
});
