/**
 * Reruns and reports (issue 12 item 7), as a cron user meets them: real CLI,
 * real ZooKeeper kept between runs, real Dovecot.
 *
 * - A plain rerun of a finished job plans the mail that arrived since.
 * - matches-source compares with the mailbox as it is at report time, and
 *   says which count it used.
 * - An interrupted job's report says it is in progress and gives the exact
 *   command that resumes it, instead of "Integrity: FAILED".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listJobs, readJobStatus } from '../../src/coordination/index.js';
import { buildReport } from '../../src/report/index.js';
import { loadMailbox } from '../../src/servers/dovecot.js';
import { tempDirs } from '../support/temp-dirs.js';
import { fixtureMessages, parseReport, runCli, startTestServers, TEST_SPLIT, type TestServers, appendOverImap as appendToInbox } from './harness.js';

const USER = 'rerun-owner';
const PASSWORD = 'rerun password 3c1d';
const temp = tempDirs();
let servers: TestServers;
let corpus: Buffer[];

beforeAll(async () => {
  const [started, all] = await Promise.all([startTestServers(USER, PASSWORD), fixtureMessages(TEST_SPLIT)]);
  servers = started;
  corpus = all.map((m) => m.raw);
}, 60_000);

afterAll(async () => {
  await servers?.stop();
  temp.removeAll();
});

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function runArgs(root: string, extra: string[] = []): string[] {
  return [
    'run', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--zk', servers.zk.connectString, '--zk-root', root,
    '--processors', '2', '--report-dir', temp.make('spamzk-rerun-report-'), ...extra,
  ];
}
const env = { SPAMZK_IMAP_PASSWORD: PASSWORD };

const appendOverImap = (messages: Buffer[]): Promise<void> => appendToInbox(servers.dovecot.imapPort, USER, PASSWORD, messages);

describe('a plain rerun of a finished job', () => {
  it('plans the 20 messages appended since, and the report counts every message once against the mailbox as it is', async () => {
    loadMailbox(servers.dovecot, { user: USER, uidValidity: 5151, messages: corpus.slice(0, 100).map((raw, i) => ({ uid: i + 1, raw })) });
    const args = runArgs('/rerun', ['--batch-size', '25', '--json']);
    const first = await runCli(args, env);
    expect(first.code, first.stderr).toBe(0);
    expect(parseReport(first.stdout).totals.messages).toBe(100);

    await appendOverImap(corpus.slice(100, 120));
    const again = await runCli(args, env);
    expect(again.code, again.stderr).toBe(0);
    const report = parseReport(again.stdout);
    expect(report.totals.messages).toBe(120);
    expect(report.verdicts.map((v) => v.key).sort((a, b) => a - b)).toEqual(range(1, 120));
    expect(report.integrity.ok).toBe(true);
    const check = report.integrity.checks.find((c) => c.name === 'matches-source')!;
    expect(check.status).toBe('pass');
    expect(check.detail).toContain('the source holds 120 messages now (counted at report time)');
    expect(await listJobs(servers.session, '/rerun')).toHaveLength(1);
  }, 120_000);
});

describe('the report of an interrupted job', () => {
  it('says the job is in progress and gives the exact command that resumes it; that command completes it', async () => {
    loadMailbox(servers.dovecot, { user: USER, uidValidity: 6161, messages: corpus.slice(0, 150).map((raw, i) => ({ uid: i + 1, raw })) });
    const root = '/interrupted';
    // One message a batch and the default IMAP request rate keep the job running long enough to interrupt.
    const args = runArgs(root, ['--batch-size', '1']);
    const running = runCli(args, env);
    for (;;) {
      const [job] = await listJobs(servers.session, root).catch(() => []);
      if (job && (await readJobStatus(servers.session, root, job.jobId)).done >= 5) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    process.kill(running.pid, 'SIGINT');
    const stopped = await running;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stdout).not.toContain('FAILED');
    const notice = /\*\*Job in progress: (\d+) of 150 batches pending; integrity is checked once it completes\. Resume it with:\*\*\n\n {4}(spamzk run .+)\n/.exec(stopped.stdout);
    expect(notice, stopped.stdout.slice(0, 1_500)).not.toBeNull();
    expect(Number(notice![1])).toBeGreaterThan(0);
    expect(notice![2]).toContain(`--zk ${servers.zk.connectString} --zk-root ${root}`);
    expect(stopped.stdout).toMatch(/SKIPPED Every message of the source is in the report \(matches-source\): job in progress: \d+ outcomes so far of 150 planned messages/);

    // The command it printed, run as printed (it needs no quoting: no argument has a space).
    const resumed = await runCli([...notice![2]!.split(' ').slice(1), '--json'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = parseReport(resumed.stdout);
    expect(report.totals.messages).toBe(150);
    expect(report.integrity.ok).toBe(true);
  }, 180_000);
});

describe('matches-source when the source cannot be counted at report time', () => {
  it('says so and compares with the plan only, rather than failing', () => {
    const outcome = { key: 1, verdict: 'ham' as const, score: 0.1, batch: 0, processor: 'p' };
    const report = buildReport({
      job: {
        jobId: 'job-x', source: 'imap://u@h:1/INBOX', modelId: 'm', batchSize: 1, batches: 1, createdAt: 0, complete: true,
        expectedMessages: 1, sourceNow: { reachable: false, error: 'IMAP server 127.0.0.1:1 unreachable' },
      },
      outcomes: [outcome],
      commits: [{ batch: 0, first: 1, last: 1, messages: 1, processor: 'p', claimSeq: 0, attempts: 1, committedAt: 1, durationMs: 1 }],
      reclaims: [],
      fencedCommits: [],
      quarantined: [],
    });
    const check = report.integrity.checks.find((c) => c.name === 'matches-source')!;
    expect(check.status).toBe('skipped');
    expect(check.detail).toBe(
      '1 outcomes = 1 messages the plan counted; the source could not be counted at report time (IMAP server 127.0.0.1:1 unreachable), so it is not compared with the mailbox as it is',
    );
    expect(report.integrity.ok).toBe(true);
  });
});
