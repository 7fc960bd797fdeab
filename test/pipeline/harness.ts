/** Runs the real `spamzk` CLI (compiled, as users run it) against real servers. */
import { ImapFlow } from 'imapflow';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ZkSession } from '../../src/coordination/index.js';
import { startDovecot, stopDovecot, type DovecotServer } from '../../src/servers/dovecot.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { PACKAGE_ROOT, SPAMZK_BIN } from '../../src/shared/index.js';
import { FixtureSource } from '../../src/sources/index.js';
import { tempDirs } from '../support/temp-dirs.js';

export const BIN = SPAMZK_BIN;
export const TEST_SPLIT = join(PACKAGE_ROOT, 'fixtures', 'generated', 'spamassassin-test');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> & { pid: number } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, SPAMZK_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<CliResult>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return Object.assign(done, { pid: child.pid! });
}

export interface ReportVerdict {
  key: number;
  verdict: string;
  score: number | null;
  batch: number;
  processor: string;
  label?: string;
  reason?: string;
}

export interface ParsedReport {
  job: { jobId: string; source: string };
  totals: { messages: number; spam: number; ham: number; unsure: number; failed: number };
  verdicts: ReportVerdict[];
  commits: { batch: number; processor: string; claimSeq: number }[];
  integrity: { ok: boolean; checks: { name: string; status: string; detail?: string }[] };
}

export function parseReport(stdout: string): ParsedReport {
  return JSON.parse(stdout.trim().split('\n').pop()!) as ParsedReport;
}

/** The raw messages of a fixture, in key order (what an IMAP load of it should hold). */
export async function fixtureMessages(path: string): Promise<{ key: number; raw: Buffer; label?: string }[]> {
  const source = new FixtureSource(path);
  await source.open();
  try {
    const keys = await source.listKeys();
    return [...(await source.fetchRange({ first: keys[0]!, last: keys[keys.length - 1]! }))];
  } finally {
    await source.close();
  }
}

export interface TestServers {
  readonly zk: ZooKeeperCluster;
  readonly dovecot: DovecotServer;
  /** A session of the test's own, to watch jobs from outside the CLI. */
  readonly session: ZkSession;
  /** `imaps://user@127.0.0.1:port/INBOX` of the private Dovecot. */
  readonly imapsUrl: string;
  stop(): Promise<void>;
}

/** A private ZooKeeper and a private Dovecot with one user, for one test file. */
export async function startTestServers(user: string, password: string): Promise<TestServers> {
  const temp = tempDirs();
  const [zk, dovecot] = await Promise.all([
    startZooKeeper({ nodes: 1, baseDir: temp.make('spamzk-pipeline-zk-') }),
    startDovecot({ dir: temp.make('spamzk-pipeline-dovecot-'), users: [{ name: user, password }] }),
  ]);
  const session = new ZkSession({ connectString: zk.connectString });
  await session.start();
  return {
    zk,
    dovecot,
    session,
    imapsUrl: `imaps://${user}@127.0.0.1:${dovecot.imapsPort}/INBOX`,
    async stop() {
      await session.close();
      await Promise.all([zk.stop(), stopDovecot(dovecot)]);
      temp.removeAll();
    },
  };
}

/** Appends messages to a user's INBOX over plain IMAP on loopback, as new mail arriving. */
export async function appendOverImap(imapPort: number, user: string, password: string, messages: Buffer[]): Promise<void> {
  const client = new ImapFlow({ host: '127.0.0.1', port: imapPort, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
  await client.connect();
  try {
    for (const m of messages) await client.append('INBOX', m);
  } finally {
    await client.logout();
  }
}
