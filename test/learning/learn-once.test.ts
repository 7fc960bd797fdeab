/**
 * The learn path on real Dovecot and real ZooKeeper, an imapflow client
 * playing the user: a correction made between two passes is learned once and
 * changes the next verdict on a similar message; learners racing on the same
 * corrections learn each once; a learner SIGKILLed before its head advance,
 * and one whose session expires mid-learn (ZooKeeper SIGSTOPped past the
 * session timeout), neither lose nor repeat a correction. The audit walks the
 * model lineage in the store: every detected correction in exactly one
 * version, none pending.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SpamModel, type VerdictLabel } from '../../src/classifier/index.js';
import { SessionLostError, ZkSession } from '../../src/coordination/index.js';
import { ModelStore } from '../../src/pipeline/learning/index.js';
import type { DovecotServer } from '../../src/servers/dovecot.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { openSession, range, waitStopped } from '../coordination/helpers.js';
import { writeBackVerdicts } from '../../src/sources/index.js';
import { bareClient, message, plainSource, startTestDovecot, stopTestDovecot } from '../sources/harness.js';
import { auditLineage, learnKit, ODD_WORDS, oddMessage, ROOT } from './learn-kit.js';

const CHILD = fileURLToPath(new URL('./fixtures/learner-child.ts', import.meta.url));
let zk: ZooKeeperCluster;
let admin: ZkSession;
let dovecot: DovecotServer;
let user: ImapFlow;
let store: string;
/** What "spamzk" said about each INBOX UID (the base model's verdicts). */
const verdicts = new Map<number, VerdictLabel>();
const verdictOf = (uid: number) => verdicts.get(uid);

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, tickTimeMs: 500 });
  admin = await openSession(zk.connectString);
  dovecot = await startTestDovecot();
  user = await bareClient(dovecot);
  await user.mailboxCreate('Junk');
});

afterAll(async () => {
  await user?.logout().catch(() => undefined);
  await admin?.close();
  await zk?.stop();
  await stopTestDovecot(dovecot);
});

beforeEach(async () => {
  // A fresh account state per test: the learn log, the store and the mailboxes.
  await admin.mkdirp(ROOT);
  for (const child of await admin.getChildren(ROOT)) await removeTree(`${ROOT}/${child}`);
  store = mkdtempSync(join(tmpdir(), 'spamzk-learn-store-'));
  for (const box of ['INBOX', 'Junk']) {
    await user.mailboxOpen(box);
    await user.messageDelete('1:*', { uid: true }).catch(() => undefined);
  }
  verdicts.clear();
});

async function removeTree(path: string): Promise<void> {
  for (const child of await admin.getChildren(path)) await removeTree(`${path}/${child}`);
  await admin.remove(path, -1);
}

/** Delivers mail to INBOX and records the base model's verdict on each, as spamzk's run would. */
async function deliver(raws: Buffer[]): Promise<number[]> {
  const base = SpamModel.load();
  const uids: number[] = [];
  for (const raw of raws) {
    const appended = await user.append('INBOX', raw);
    const uid = (appended as { uid: number }).uid;
    verdicts.set(uid, base.classify(raw).label);
    uids.push(uid);
  }
  return uids;
}

async function userMovesToJunk(uids: number[]): Promise<void> {
  await user.mailboxOpen('INBOX');
  await user.messageMove(uids.join(','), 'Junk', { uid: true });
}

async function userSetsKeyword(uids: number[], keyword: string): Promise<void> {
  await user.mailboxOpen('INBOX');
  await user.messageFlagsAdd(uids.join(','), [keyword], { uid: true });
}

function expectEachOnce(consumed: string[], detected: string[]): void {
  expect(consumed.length).toBe(new Set(consumed).size);
  expect([...consumed].sort()).toEqual([...new Set(detected)].sort());
}

describe('learning a correction', () => {
  it('a correction made between two passes is learned once, and it changes the next verdict on a similar message', async () => {
    const kit = await learnKit(admin, dovecot.imapPort, store);
    try {
      const [odd] = await deliver([oddMessage(1, ODD_WORDS), message(2)]);
      expect(verdicts.get(odd!)).toBe('ham');
      expect(await kit.detect(verdictOf)).toEqual([]); // pass 1: the baseline
      expect((await kit.learn()).outcome).toBe('nothing');

      await userMovesToJunk([odd!]); // the user: "this is spam"
      const detected = await kit.detect(verdictOf); // pass 2
      expect(detected).toHaveLength(1);
      const step = await kit.learn();
      expect(step).toMatchObject({ outcome: 'advanced', head: { version: 1, learned: { spam: 1, ham: 0 } } });
      expect(step.learned.map((c) => c.reason)).toEqual(['moved-to-junk']);

      expect(await kit.detect(verdictOf)).toEqual([]); // pass 3: nothing new, nothing repeated
      expect((await kit.learn()).outcome).toBe('nothing');
      const audit = await auditLineage(admin, dovecot.imapPort, store);
      expectEachOnce(audit.consumed, detected);
      expect(audit.pending).toEqual([]);

      const similar = oddMessage(2, ODD_WORDS);
      expect(SpamModel.load().classify(similar).label).toBe('ham');
      expect(new ModelStore(store).load(step.head.modelHash).classify(similar).label).toBe('spam');
    } finally {
      await kit.close();
    }
  });

  it('keywords that disagree with the verdict are corrections; those that agree (as spamzk writes them) are not', async () => {
    const kit = await learnKit(admin, dovecot.imapPort, store);
    try {
      const uids = await deliver([message(1), message(2), message(3)]);
      await kit.detect(verdictOf);
      verdicts.set(uids[2]!, 'spam'); // say spamzk had called message 3 spam
      await userSetsKeyword([uids[0]!], '$Junk'); // disagrees with ham
      await userSetsKeyword([uids[1]!], '$NotJunk'); // agrees with ham
      await userSetsKeyword([uids[2]!], 'NonJunk'); // disagrees with spam (Thunderbird's keyword)
      expect(await kit.detect(verdictOf)).toHaveLength(2);
      const step = await kit.learn();
      expect(step.learned.map((c) => [c.uid, c.direction, c.reason]).sort()).toEqual([
        [uids[0], 'spam', 'keyword'],
        [uids[2], 'ham', 'keyword'],
      ]);
      await userSetsKeyword([uids[0]!], 'Junk'); // the same word again: not a new correction
      expect(await kit.detect(verdictOf)).toEqual([]);
    } finally {
      await kit.close();
    }
  });
});

describe('moves', () => {
  it("spamzk's own move to Junk is not a correction; the user moving it back out is one, learned as ham", async () => {
    const kit = await learnKit(admin, dovecot.imapPort, store);
    try {
      const [uid] = await deliver([message(7)]);
      await kit.detect(verdictOf); // baseline
      const source = plainSource(dovecot, { writeBack: 'move', junkMailbox: 'Junk' });
      await source.open();
      try {
        await writeBackVerdicts(source, [{ key: uid!, label: 'spam' }]); // spamzk called it spam and moved it
      } finally {
        await source.close();
      }
      expect(await kit.detect(verdictOf)).toEqual([]);
      await user.mailboxOpen('Junk');
      await user.messageMove('1:*', 'INBOX', { uid: true }); // the user: "not spam"
      expect(await kit.detect(verdictOf)).toHaveLength(1);
      const step = await kit.learn();
      expect(step.learned.map((c) => [c.direction, c.reason])).toEqual([['ham', 'moved-from-junk']]);
    } finally {
      await kit.close();
    }
  });
});

describe('exactly once across the fleet', () => {
  it('four learners racing, with two detectors racing, learn each correction once', async () => {
    const sessions = await Promise.all(range(4).map(() => openSession(zk.connectString)));
    const kits = await Promise.all(sessions.map((s) => learnKit(s, dovecot.imapPort, store)));
    try {
      const uids = await deliver(range(12).map((n) => message(100 + n)));
      await Promise.all(kits.slice(0, 2).map((k) => k.detect(verdictOf)));
      const detected: string[] = [];
      for (const round of [uids.slice(0, 4), uids.slice(4, 8), uids.slice(8)]) {
        await userMovesToJunk(round);
        detected.push(...(await Promise.all(kits.slice(0, 2).map((k) => k.detect(verdictOf)))).flat());
        const steps = await Promise.all(kits.map((k) => k.learn()));
        expect(steps.filter((s) => s.outcome === 'advanced')).toHaveLength(1);
      }
      expect(new Set(detected).size).toBe(12);
      expect(detected).toHaveLength(12); // the racing detector appended nothing twice
      const audit = await auditLineage(admin, dovecot.imapPort, store);
      expectEachOnce(audit.consumed, detected);
      expect(audit).toMatchObject({ pending: [], version: 3 });
    } finally {
      await Promise.all(kits.map((k) => k.close()));
      await Promise.all(sessions.map((s) => s.close()));
    }
  });

  it('a learner SIGKILLed after storing its version, before the head advance, neither loses nor repeats a correction', async () => {
    const kit = await learnKit(admin, dovecot.imapPort, store);
    try {
      const uids = await deliver(range(5).map((n) => message(200 + n)));
      await kit.detect(verdictOf);
      await userMovesToJunk(uids);
      const detected = await kit.detect(verdictOf);
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, zk.connectString, String(dovecot.imapPort), store], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve) => createInterface({ input: child.stdout! }).on('line', (l) => l.includes('ready-to-advance') && resolve()));
      child.kill('SIGKILL');
      await exited;
      expect((await auditLineage(admin, dovecot.imapPort, store)).pending).toHaveLength(5); // the dead learner advanced nothing
      expect((await kit.learn()).outcome).toBe('advanced');
      const audit = await auditLineage(admin, dovecot.imapPort, store);
      expectEachOnce(audit.consumed, detected);
      expect(audit).toMatchObject({ pending: [], version: 1 });
    } finally {
      await kit.close();
    }
  });

  it('a learner whose session expires mid-learn (ZooKeeper SIGSTOPped past the session timeout) neither loses nor repeats a correction', async () => {
    const kit = await learnKit(admin, dovecot.imapPort, store);
    const victimSession = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 2_000 });
    await victimSession.start();
    const victim = await learnKit(victimSession, dovecot.imapPort, store);
    try {
      const uids = await deliver(range(5).map((n) => message(300 + n)));
      await kit.detect(verdictOf);
      await userMovesToJunk(uids);
      const detected = await kit.detect(verdictOf);
      const server = zk.nodes[0]!.server!;
      const outcome = await victim
        .learn({
          beforeAdvance: async () => {
            server.child.kill('SIGSTOP');
            await waitStopped(server.pid);
            await sleep(2_200); // past the 2 s session timeout (the admin session, 4 s, survives): the session is declared lost before the CAS goes out
          },
        })
        .catch((err: unknown) => err);
      server.child.kill('SIGCONT');
      expect(outcome).toBeInstanceOf(SessionLostError);
      await admin.exists('/'); // the admin session survived the pause (4 s timeout) or fails here loudly
      expect((await kit.learn()).outcome).toBe('advanced');
      const audit = await auditLineage(admin, dovecot.imapPort, store);
      expectEachOnce(audit.consumed, detected);
      expect(audit).toMatchObject({ pending: [], version: 1 });
    } finally {
      await victim.close();
      await victimSession.close();
      await kit.close();
    }
  });
});

afterAll(() => {
  if (store) rmSync(store, { recursive: true, force: true });
});
