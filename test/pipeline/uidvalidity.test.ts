/**
 * A UIDVALIDITY change under a running job stops it with a clear error
 * instead of mixing two numberings in one job.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listJobs, readDoneMarkers } from '../../src/coordination/index.js';
import { loadMailbox } from '../../src/servers/dovecot.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCli, startTestServers, type TestServers } from './harness.js';

const USER = 'renumbered';
const PASSWORD = 'uidvalidity password 55e1';
const ROOT = '/e2e-uidvalidity';

const temp = tempDirs();
let servers: TestServers;

const mail = (n: number): Buffer =>
  Buffer.from(`From: a${n}@example.org\r\nTo: ${USER}@example.org\r\nSubject: note ${n}\r\n\r\nSee you on day ${n}.\r\n`);
const mailbox = (uidValidity: number): void => {
  loadMailbox(servers.dovecot, { user: USER, uidValidity, messages: Array.from({ length: 600 }, (_, i) => ({ uid: i + 1, raw: mail(i + 1) })) });
};

beforeAll(async () => {
  servers = await startTestServers(USER, PASSWORD);
  mailbox(111);
});

afterAll(async () => {
  await servers?.stop();
  temp.removeAll();
});

it('stops the job with a clear error when the mailbox is renumbered mid-run', async () => {
  const run = runCli(
    ['run', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--zk', servers.zk.connectString,
      '--zk-root', ROOT, '--processors', '2', '--batch-size', '2', '--json', '--report-dir', temp.make('spamzk-report-')],
    { SPAMZK_IMAP_PASSWORD: PASSWORD },
  );
  // Renumber once some batches are committed.
  const deadline = Date.now() + 60_000;
  let jobId: string | undefined;
  while (Date.now() < deadline) {
    jobId = (await listJobs(servers.session, ROOT))[0]?.jobId;
    if (jobId && (await readDoneMarkers(servers.session, ROOT, jobId)).length >= 5) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(jobId).toBeDefined();
  mailbox(222);
  const result = await run;
  expect(result.code).toBe(3);
  expect(result.stderr).toMatch(/UIDVALIDITY/);
  const jobs = await listJobs(servers.session, ROOT);
  expect(jobs).toHaveLength(1);
  expect(jobs[0]!.complete).toBe(false);
  // Nothing of the new numbering was committed into the old job: every done
  // marker was written before the change (batches are committed at most once).
  const done = await readDoneMarkers(servers.session, ROOT, jobId!);
  expect(new Set(done.map((d) => d.batch)).size).toBe(done.length);
});
