/**
 * Two invocations of the same cadence command extend the same plan. The one
 * that loses the compare-and-set on the plan re-reads it and plans only the
 * keys after the new last key (before, it exited 1 on PlanConflictError).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listJobs, openJob, readBatches, type Batch } from '../../src/coordination/index.js';
import { planNewMail } from '../../src/pipeline/cadence.js';
import { JobSession } from '../../src/pipeline/job-session.js';
import { planBatches } from '../../src/pipeline/plan.js';
import { loadMailbox } from '../../src/servers/dovecot.js';
import { tempDirs } from '../support/temp-dirs.js';
import { parseReport, runCli, startTestServers, type TestServers, appendOverImap as appendToInbox } from './harness.js';
import { recordingLogger } from './support.js';

const USER = 'race-owner';
const PASSWORD = 'race password 77b0';
const temp = tempDirs();
let servers: TestServers;

const mail = (n: number): Buffer =>
  Buffer.from(`From: friend${n}@example.org\r\nTo: ${USER}@example.org\r\nSubject: plan ${n}\r\n\r\nThe agenda for day ${n} is attached.\r\n`);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

beforeAll(async () => {
  servers = await startTestServers(USER, PASSWORD);
}, 60_000);

afterAll(async () => {
  await servers?.stop();
  temp.removeAll();
});

/** Every planned key, in batch order, from the batch ranges over a mailbox of consecutive keys. */
function plannedKeys(batches: readonly Batch[]): number[] {
  return batches.flatMap((b) => range(b.first, b.last));
}

describe('two runs extend the same plan at once', () => {
  it('the run that loses the plan race re-reads the plan and plans only the keys after the new last key', async () => {
    const root = '/race-library';
    const jobId = 'job-race-library';
    const spec = { jobId, sourceId: 'race-test', modelId: 'none', batchSize: 5 };
    let mailbox = range(1, 10);
    const log = recordingLogger();
    const a = new JobSession({ connectString: servers.zk.connectString, sessionTimeoutMs: 4_000, log });
    const b = new JobSession({ connectString: servers.zk.connectString, sessionTimeoutMs: 4_000, log });
    try {
      await openJob(await a.session(), root, spec, () => planBatches(mailbox, 5));
      mailbox = range(1, 22);
      // B lists the mailbox first but writes last: A extends the plan between B's read and B's write.
      let bHasListed!: () => void;
      const bListed = new Promise<void>((resolve) => (bHasListed = resolve));
      let releaseB!: () => void;
      const aDone = new Promise<void>((resolve) => (releaseB = resolve));
      const job = { root, jobId, batchSize: 5, log };
      let bListings = 0;
      const runB = planNewMail(b, {
        ...job,
        listKeysAfter: async (lastKey) => {
          const seen = mailbox.filter((k) => k > lastKey);
          if (++bListings === 1) {
            bHasListed();
            await aDone;
          }
          return seen;
        },
      });
      await bListed;
      const planted = await planNewMail(a, { ...job, listKeysAfter: async (lastKey) => mailbox.filter((k) => k > lastKey) });
      mailbox = range(1, 25); // three more arrive before B tries again
      releaseB();
      const plantedByB = await runB;
      expect(planted).toBe(12);
      expect(plantedByB).toBe(3);
      expect(log.lines.some((l) => l.message === 'plan extended concurrently by another run: re-reading it')).toBe(true);
      const batches = await readBatches(await a.session(), root, jobId);
      expect(batches.map((x) => x.index)).toEqual(range(0, batches.length - 1));
      expect(plannedKeys(batches)).toEqual(range(1, 25));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it('two cadence commands on one mailbox both finish their passes, and every message is classified once', async () => {
    const root = '/race-cli';
    loadMailbox(servers.dovecot, { user: USER, uidValidity: 7070, messages: range(1, 30).map((uid) => ({ uid, raw: mail(uid) })) });
    const args = (reportDir: string) => [
      'run', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--zk', servers.zk.connectString, '--zk-root', root,
      '--processors', '1', '--batch-size', '4', '--every', '1s', '--passes', '16', '--json', '--report-dir', reportDir,
    ];
    const env = { SPAMZK_IMAP_PASSWORD: PASSWORD, SPAMZK_LOG_LEVEL: 'info' };
    const first = runCli(args(temp.make('spamzk-race-a-')), env);
    const second = runCli(args(temp.make('spamzk-race-b-')), env);
    // New mail arrives in three bursts while both run, so both try to plan it.
    // 16 passes of 1 s outlast the bursts even on a loaded machine.
    const ended = Promise.race([first, second]).then((r) => `a run ended early (exit ${r.code}): ${r.stderr.slice(-1_500)}`);
    for (let burst = 0; burst < 3; burst++) {
      await waitUntil(ended, async () => (await listJobs(servers.session, root))[0]?.complete === true);
      await appendOverImap(range(1, 6).map((i) => mail(100 + burst * 10 + i)));
      await new Promise((r) => setTimeout(r, 1_200));
    }
    const results = await Promise.all([first, second]);
    for (const r of results) expect(r.code, r.stderr.slice(-2_000)).toBe(0);
    const races = results.reduce((n, r) => n + r.stderr.split('plan extended concurrently by another run').length - 1, 0);
    console.log(`plan races lost and recovered in this run: ${races}`);
    const report = parseReport(results[1]!.stdout);
    expect(report.integrity.ok, JSON.stringify(report.integrity.checks)).toBe(true);
    const keys = report.verdicts.map((v) => v.key).sort((x, y) => x - y);
    expect(keys).toEqual(range(1, 48));
  }, 180_000);
});

const appendOverImap = (messages: Buffer[]): Promise<void> => appendToInbox(servers.dovecot.imapPort, USER, PASSWORD, messages);

/** Polls `ok` until it holds; fails at once with `failed`'s message if that settles first. */
async function waitUntil(failed: Promise<string>, ok: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  let why: string | undefined;
  void failed.then((m) => (why = m));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (why !== undefined) throw new Error(why);
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}
