/**
 * The cadence: `spamzk run --every` turns new mail into new batches of the
 * same job, and a message already done is never processed again.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listJobs } from '../../src/coordination/index.js';
import { loadMailbox } from '../../src/servers/dovecot.js';
import { tempDirs } from '../support/temp-dirs.js';
import { parseReport, runCli, startTestServers, type TestServers, appendOverImap as appendToInbox } from './harness.js';

const USER = 'cadence-owner';
const PASSWORD = 'cadence password 91c2';
const ROOT = '/e2e-cadence';

const temp = tempDirs();
let servers: TestServers;

const mail = (n: number): Buffer =>
  Buffer.from(`From: friend${n}@example.org\r\nTo: ${USER}@example.org\r\nSubject: lunch plan ${n}\r\n\r\nShall we meet at noon on day ${n}?\r\n`);

beforeAll(async () => {
  servers = await startTestServers(USER, PASSWORD);
  loadMailbox(servers.dovecot, { user: USER, uidValidity: 4242, messages: Array.from({ length: 30 }, (_, i) => ({ uid: i + 1, raw: mail(i + 1) })) });
});

afterAll(async () => {
  await servers?.stop();
  temp.removeAll();
});

const appendOverImap = (messages: Buffer[]): Promise<void> => appendToInbox(servers.dovecot.imapPort, USER, PASSWORD, messages);

async function waitForFirstPass(): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const jobs = await listJobs(servers.session, ROOT);
    if (jobs[0]?.complete) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the first pass did not complete within 60 s');
}

it('picks up newly appended mail in the next pass, and processes each message exactly once', async () => {
  const run = runCli(
    ['run', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--zk', servers.zk.connectString,
      '--zk-root', ROOT, '--processors', '2', '--batch-size', '7', '--every', '1500ms', '--passes', '4', '--json',
      '--report-dir', temp.make('spamzk-report-')],
    { SPAMZK_IMAP_PASSWORD: PASSWORD },
  );
  await waitForFirstPass();
  await appendOverImap(Array.from({ length: 12 }, (_, i) => mail(100 + i)));
  const result = await run;
  expect(result.code, result.stderr).toBe(0);
  const report = parseReport(result.stdout);
  // 30 at the start + 12 appended, each once, under UIDs 1..42.
  expect(report.totals.messages).toBe(42);
  expect(report.verdicts.map((v) => v.key).sort((a, b) => a - b)).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
  expect(report.integrity.ok).toBe(true);
  const jobs = await listJobs(servers.session, ROOT);
  expect(jobs).toHaveLength(1);
  // 30 keys in batches of 7 = 5 batches, then 12 new keys = 2 more.
  expect(jobs[0]!.batchCount).toBe(7);
});
