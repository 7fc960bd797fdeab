/**
 * An IMAP outage is the mailbox's failure, not a batch's: the processors stop
 * with exit code 3 naming the server, no batch is charged an attempt or
 * quarantined, and a rerun once the server is back finishes the job, every
 * message once. Real CLI, real ZooKeeper, real Dovecot stopped mid-job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listJobs, readJobStatus } from '../../src/coordination/index.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crashDovecot, loadMailbox, startDovecotAgain, stopDovecot, userHome, type DovecotServer } from '../../src/servers/dovecot.js';
import { tempDirs } from '../support/temp-dirs.js';
import { fixtureMessages, parseReport, runCli, startTestServers, TEST_SPLIT, type TestServers } from './harness.js';

const USER = 'outage-owner';
const PASSWORD = 'outage test password 5e81';
const ROOT = '/outage';

const temp = tempDirs();
let servers: TestServers;
/** The Dovecot started again by the test: servers.stop() knows only the first one. */
let restarted: DovecotServer | undefined;
let count = 0;

beforeAll(async () => {
  const [started, all] = await Promise.all([startTestServers(USER, PASSWORD), fixtureMessages(TEST_SPLIT)]);
  servers = started;
  // One message a batch and the default 10 IMAP requests a second per account keep
  // the job running long enough to be cut; 200 keep the rerun short.
  const messages = all.slice(0, 200);
  count = messages.length;
  loadMailbox(servers.dovecot, { user: USER, uidValidity: 424_242, messages: messages.map((m, i) => ({ uid: i + 1, raw: m.raw })) });
});

afterAll(async () => {
  if (restarted) await stopDovecot(restarted);
  await servers?.stop();
  temp.removeAll();
});

describe('the IMAP server goes away mid-job', () => {
  it('stops the run with exit 3, charges no batch an attempt, and a rerun completes the job', async () => {
    const dovecot = servers.dovecot;
    const args = [
      'run', '--imap', servers.imapsUrl, '--ca-file', dovecot.caFile, '--zk', servers.zk.connectString, '--zk-root', ROOT,
      '--processors', '2', '--batch-size', '1', '--max-attempts', '2', '--json', '--report-dir', temp.make('spamzk-outage-report-'),
    ];
    const env = { SPAMZK_IMAP_PASSWORD: PASSWORD };
    const first = runCli(args, env);
    // The server goes down, all its connections with it, once the job is under way.
    let jobId: string | undefined;
    for (;;) {
      [jobId] = (await listJobs(servers.session, ROOT).catch(() => [])).map((j) => j.jobId);
      if (jobId && (await readJobStatus(servers.session, ROOT, jobId)).done >= 5) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await crashDovecot(dovecot);
    const stopped = await first;
    expect(stopped.code, stopped.stderr).toBe(3);
    expect(stopped.stderr).toMatch(new RegExp(`IMAP server 127\\.0\\.0\\.1:${dovecot.imapsPort} failed \\d+ times in a row`));
    const halfway = await readJobStatus(servers.session, ROOT, jobId!);
    expect(halfway.complete).toBe(false);
    expect(halfway.quarantined).toBe(0);

    // As if the crash had caught a session holding the mailbox's dotlock: Dovecot would
    // make every SELECT wait 2 minutes for it; the restart clears it.
    writeFileSync(join(userHome(dovecot, USER), 'Maildir', 'dovecot-uidlist.lock'), `${process.pid}\n`);
    restarted = await startDovecotAgain(dovecot);
    const rerun = await runCli(args, env);
    expect(rerun.code, rerun.stderr).toBe(0);
    const report = parseReport(rerun.stdout);
    const commits = report.commits as unknown as { batch: number; attempts: number }[];
    expect(report.job.jobId).toBe(jobId);
    expect(report.totals.messages).toBe(count);
    expect(report.integrity.ok).toBe(true);
    // The outage was charged to no batch: each was committed by its first counted attempt.
    expect(commits).toHaveLength(halfway.batchCount);
    expect(commits.filter((c) => c.attempts !== 1)).toEqual([]);
  });
});
