/**
 * A processor takes up a newer model version between batches: the head is
 * advanced while a processor (in this process, real ZooKeeper and Dovecot)
 * works through a job; batches committed before carry version 0, batches
 * after carry version 1, none mixes the two, and the job stays the base
 * model's job. A processor that starts later classifies with the head at once.
 */
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listJobs, readDoneMarkers } from '../../src/coordination/index.js';
import { decodeBatchResult, runProcessor, type Logger, type ProcessorSettings } from '../../src/pipeline/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { startTestServers, type TestServers } from '../pipeline/harness.js';
import { learnKit, ROOT } from './learn-kit.js';
import { eventually } from '../coordination/helpers.js';
import { FeedbackClient, Secret } from '../../src/sources/index.js';

const USER = 'tester'; // learn-kit's FeedbackClient logs in as the sources harness's user
const PASSWORD = 'correct horse battery staple';
const temp = tempDirs();
let servers: TestServers;
let user: ImapFlow;

const note = (n: number): Buffer => Buffer.from(`From: a${n}@example.org\r\nTo: ${USER}@example.org\r\nSubject: note ${n}\r\nMessage-ID: <f${n}@example.org>\r\n\r\nSee you on day ${n}.\r\n`);
const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

beforeAll(async () => {
  servers = await startTestServers(USER, PASSWORD);
  process.env.SPAMZK_IMAP_PASSWORD = PASSWORD;
  user = new ImapFlow({ host: '127.0.0.1', port: servers.dovecot.imapPort, secure: false, doSTARTTLS: false, auth: { user: USER, pass: PASSWORD }, logger: false, disableAutoIdle: true });
  user.on('error', () => undefined);
  await user.connect();
  await user.mailboxCreate('Junk');
  for (let n = 1; n <= 240; n++) await user.append('INBOX', note(n));
});

afterAll(async () => {
  await user?.logout().catch(() => undefined);
  await servers?.stop();
  temp.removeAll();
});

it('a processor takes up a newer model version between batches (the head advanced mid-job), never goes back; a later processor starts with it', async () => {
  const store = temp.make('spamzk-follow-store-');
  const settings: ProcessorSettings = {
    source: servers.imapsUrl, connectString: servers.zk.connectString, zkRoot: ROOT, model: undefined, batchSize: 1,
    sessionTimeoutMs: 10_000, staleAfterMs: 30_000, maxAttempts: 3, imapPasswordFile: undefined,
    caFile: servers.dovecot.caFile, insecure: false, writeBack: 'off', junkMailbox: 'Junk', learn: { modelStore: store },
  };
  // The account as the processors name it: the IMAPS URL (an account's learn log is keyed by user, host and port).
  const via = new FeedbackClient({ url: servers.imapsUrl, password: new Secret(PASSWORD), caFile: servers.dovecot.caFile });
  const kit = await learnKit(servers.session, servers.dovecot.imapPort, store, via);
  try {
    await kit.detect(() => 'ham'); // baseline
    await user.mailboxOpen('INBOX');
    await user.messageFlagsAdd('1', ['$Junk'], { uid: true }); // a correction, pending
    expect(await kit.detect(() => 'ham')).toHaveLength(1);
    // The learner prepares version 1 and holds its CAS until the processor has committed some batches with version 0.
    let running: ReturnType<typeof runProcessor> | undefined;
    const learned = kit.learn({
      beforeAdvance: async () => {
        running = runProcessor({ settings, log: quiet });
        await eventually('first commits', async () => {
          const [job] = await listJobs(servers.session, ROOT);
          return job && (await readDoneMarkers(servers.session, ROOT, job.jobId)).length >= 5;
        }, 30_000, 10);
      },
    });
    expect((await learned).outcome).toBe('advanced');
    const summary = await running!;
    expect(summary.complete).toBe(true);

    const [job] = await listJobs(servers.session, ROOT);
    const markers = (await readDoneMarkers(servers.session, ROOT, job!.jobId)).sort((a, b) => a.committedAt - b.committedAt || a.batch - b.batch);
    const versions = markers.map((m) => decodeBatchResult(m.result).modelVersion ?? 0);
    expect(versions[0], JSON.stringify(versions)).toBe(0);
    expect(versions.at(-1), JSON.stringify(versions)).toBe(1);
    expect(versions).toEqual([...versions].sort()); // one processor: once taken up, never back
    expect((await listJobs(servers.session, ROOT)).length).toBe(1); // learning started no new job

    await user.append('INBOX', note(999)); // a later processor, on a new job of the same account (new batch size)
    await runProcessor({ settings: { ...settings, batchSize: 500 }, log: quiet });
    const jobs = await listJobs(servers.session, ROOT);
    const later = jobs.find((j) => j.jobId !== job!.jobId)!;
    const laterVersions = (await readDoneMarkers(servers.session, ROOT, later.jobId)).map((m) => decodeBatchResult(m.result).modelVersion ?? 0);
    expect(laterVersions).toEqual([1]);
  } finally {
    await kit.close();
  }
});
