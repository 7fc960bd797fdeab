/**
 * `spamzk run --learn` through the real CLI, a real fleet of processors, real
 * ZooKeeper and real Dovecot, an imapflow client playing the user between two
 * passes: the correction is learned once, the next pass classifies with model
 * version 1 (recorded in its done marker), and the similar message that
 * arrived meanwhile gets the other verdict. The job stays the same job.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listJobs, readDoneMarkers } from '../../src/coordination/index.js';
import { readJobSnapshot } from '../../src/dashboard/index.js';
import { decodeBatchResult } from '../../src/pipeline/index.js';
import { decodeHead, ModelStore, openLearnLog } from '../../src/pipeline/learning/index.js';
import type { JobReport } from '../../src/report/index.js';
import { imapAccountOf } from '../../src/sources/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCli, startTestServers, type TestServers } from '../pipeline/harness.js';
import { ODD_WORDS, oddMessage } from './learn-kit.js';

const USER = 'learner';
const PASSWORD = 'learn password 7c1d';
const ROOT = '/e2e-learn';
const temp = tempDirs();
let servers: TestServers;
let user: ImapFlow;

const note = (n: number): Buffer => Buffer.from(`From: a${n}@example.org\r\nTo: ${USER}@example.org\r\nSubject: note ${n}\r\nMessage-ID: <n${n}@example.org>\r\n\r\nSee you on day ${n}.\r\n`);

beforeAll(async () => {
  servers = await startTestServers(USER, PASSWORD);
  user = new ImapFlow({
    host: '127.0.0.1', port: servers.dovecot.imapPort, secure: false, doSTARTTLS: false,
    auth: { user: USER, pass: PASSWORD }, logger: false, disableAutoIdle: true,
  });
  user.on('error', () => undefined);
  await user.connect();
  await user.mailboxCreate('Junk');
  for (let n = 1; n <= 9; n++) await user.append('INBOX', note(n));
  await user.append('INBOX', oddMessage(1, ODD_WORDS)); // UID 10
});

afterAll(async () => {
  await user?.logout().catch(() => undefined);
  await servers?.stop();
  temp.removeAll();
});

async function verdictsByUid(jobId: string): Promise<Map<number, { verdict: string; modelVersion: number }>> {
  const out = new Map<number, { verdict: string; modelVersion: number }>();
  for (const marker of await readDoneMarkers(servers.session, ROOT, jobId)) {
    const result = decodeBatchResult(marker.result);
    for (const m of result.messages) out.set(m.key, { verdict: m.verdict, modelVersion: result.modelVersion ?? 0 });
  }
  return out;
}

it('a correction made between two passes is learned once and the next pass, with model version 1, gives the similar new message the other verdict', async () => {
  const store = temp.make('spamzk-model-store-');
  const reportDir = temp.make('spamzk-report-');
  const run = runCli(
    ['run', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--zk', servers.zk.connectString, '--zk-root', ROOT,
      '--processors', '2', '--batch-size', '4', '--every', '4s', '--passes', '2', '--learn', '--model-store', store,
      '--report-dir', reportDir],
    { SPAMZK_IMAP_PASSWORD: PASSWORD },
  );
  // Pass 1 done: the job is complete; the user acts before pass 2 (4 s later).
  let jobId: string | undefined;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    const job = (await listJobs(servers.session, ROOT))[0];
    if (job?.complete) {
      jobId = job.jobId;
      break;
    }
  }
  expect(jobId).toBeDefined();
  const pass1 = await verdictsByUid(jobId!);
  expect(pass1.get(10)).toEqual({ verdict: 'ham', modelVersion: 0 });
  await user.mailboxOpen('INBOX');
  await user.messageMove('10', 'Junk', { uid: true }); // "this is spam"
  await user.append('INBOX', oddMessage(2, ODD_WORDS)); // a similar message arrives: UID 11

  const result = await run;
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/Fleet model now v1 \(1 corrections learned as spam, 0 as ham in all\)/);
  expect((await listJobs(servers.session, ROOT)).map((j) => j.jobId)).toEqual([jobId]); // the same job
  const verdicts = await verdictsByUid(jobId!);
  expect(verdicts.get(11)).toEqual({ verdict: 'spam', modelVersion: 1 });
  for (const [uid, v] of pass1) expect(verdicts.get(uid)).toEqual(v); // pass 1's verdicts stay as they were

  const log = await openLearnLog(servers.session, ROOT, imapAccountOf(servers.imapsUrl), 'unused');
  const head = decodeHead(await log.readHead());
  expect(head).toMatchObject({ version: 1, learned: { spam: 1, ham: 0 } });
  expect(new ModelStore(store).lineageFrom(head.modelHash).map((l) => l.applied.length)).toEqual([1]);
  expect(await log.pending()).toEqual([]);
  expect((await readJobSnapshot(servers.session, ROOT, jobId!)).modelVersion).toEqual({ version: 1, learned: { spam: 1, ham: 0 } }); // what status shows

  // The report files name the versions used and the corrections learned.
  const report = JSON.parse(readFileSync(join(reportDir, 'report.json'), 'utf8')) as JobReport;
  const byVersion = new Map([...verdicts.values()].map((v) => [v.modelVersion, 0]));
  for (const v of verdicts.values()) byVersion.set(v.modelVersion, byVersion.get(v.modelVersion)! + 1);
  expect(report.learning?.versionsUsed.map((u) => [u.version, u.messages])).toEqual([...byVersion].sort((a, b) => a[0] - b[0]));
  expect(report.learning?.run).toMatchObject({ headVersion: 1, headLearned: { spam: 1, ham: 0 }, learned: { spam: 1, ham: 0 }, detected: { spam: 1, ham: 0 }, versionsMade: [1] });
  const md = readFileSync(join(reportDir, 'report.md'), 'utf8');
  expect(md).toMatch(/## Learning\n\n- Model v0 \(base model\): \d+ batch(es)?, \d+ messages\n- Model v1: \d+ batch(es)?, \d+ messages/);
  expect(md).toContain('Corrections learned by this run: 1 (1 to spam, 0 to ham) of 1 detected (1 to spam, 0 to ham); this run made v1.');
  expect(readFileSync(join(reportDir, 'report.html'), 'utf8')).toContain('<h2>Learning</h2>');
});
