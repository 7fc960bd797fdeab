/**
 * The chaos run's user and learners (issue 11): during a round, a user sets
 * `$Junk` on messages spamzk calls ham and `$NotJunk` on messages it calls
 * spam (a few each, spread over the fault window), while two learner members,
 * each with its own ZooKeeper session and IMAP connection, detect and learn
 * in a loop through the same faults as the processors (leader kills, Dovecot
 * restarts, cut and hung IMAP connections). A step that a fault breaks is
 * dropped and the member starts over with a fresh session and connection.
 * After the round a last member catches up, and the audit checks that every
 * correction the user made is in exactly one model version of the lineage
 * and none is pending: "every correction learned exactly once".
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { SpamModel } from '../../src/classifier/index.js';
import { ZkSession, type ZkAuth } from '../../src/coordination/index.js';
import { correctionId, decodeHead, detectCorrections, learnPending, ModelStore, openLearnLog, type VerdictLookup } from '../../src/pipeline/learning/index.js';
import type { DovecotServer } from '../../src/servers/dovecot.js';
import { FeedbackClient, imapAccountOf, Secret } from '../../src/sources/index.js';
import type { ExpectedVerdict } from './audit.js';

export interface LearningTargets {
  readonly zkConnect: () => string;
  readonly dovecot: () => DovecotServer;
  readonly auth: ZkAuth;
  readonly user: string;
  readonly imapPassword: string;
  readonly root: string;
  readonly uidValidity: number;
  readonly expected: ReadonlyMap<number, ExpectedVerdict>;
  readonly random: () => number;
}

export interface LearningAudit {
  readonly corrections: number;
  readonly learnedOnce: boolean;
  readonly versions: number;
  readonly problems: string[];
}

const PER_KIND = 4;
const STEP_PAUSE_MS = 200;

export class ChaosLearning {
  private stopped = false;
  private readonly made = new Map<number, 'spam' | 'ham'>();
  private readonly store = new ModelStore(mkdtempSync(join(tmpdir(), 'spamzk-chaos-models-')));
  private readonly members: Promise<void>[] = [];
  private userDone: Promise<void> = Promise.resolve();
  readonly log: string[] = [];

  constructor(private readonly t: LearningTargets) {}

  /** Starts the user (corrections spread over `windowMs`) and two learner members. */
  start(windowMs: number): void {
    this.userDone = this.actAsUser(windowMs);
    for (let i = 0; i < 2; i++) this.members.push(this.member(`learner-${i}`));
  }

  /** Stops the members, lets a last member catch up once the servers are back, and audits the lineage. */
  async finish(): Promise<LearningAudit> {
    await this.userDone;
    this.stopped = true;
    await Promise.all(this.members);
    await this.withMember('final', (step) => step(true));
    return this.audit();
  }

  private verdictOf: VerdictLookup = (uid) => this.t.expected.get(uid)?.verdict as ReturnType<VerdictLookup>;

  private async actAsUser(windowMs: number): Promise<void> {
    const keys = [...this.t.expected.keys()];
    const pick = (verdict: string) => keys.filter((k) => this.t.expected.get(k)!.verdict === verdict).sort(() => this.t.random() - 0.5).slice(0, PER_KIND);
    await retried('create the Junk mailbox', () => this.createJunk());
    const plan = [...pick('ham').map((uid) => [uid, '$Junk', 'spam'] as const), ...pick('spam').map((uid) => [uid, '$NotJunk', 'ham'] as const)];
    for (const [uid, keyword, direction] of plan) {
      await new Promise((r) => setTimeout(r, windowMs / plan.length));
      await retried(`set ${keyword} on UID ${uid}`, () => this.setKeyword(uid, keyword));
      this.made.set(uid, direction);
    }
  }

  /** The chaos mailbox is loaded as files with INBOX only: the user's client makes the Junk mailbox (marked \\Junk by the server's config). */
  private async createJunk(): Promise<void> {
    const d = this.t.dovecot();
    const client = new ImapFlow({ host: '127.0.0.1', port: d.imapPort, secure: false, doSTARTTLS: false, auth: { user: this.t.user, pass: this.t.imapPassword }, logger: false, disableAutoIdle: true });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (!(await client.list()).some((b) => b.path === 'Junk')) await client.mailboxCreate('Junk');
    } finally {
      client.close();
    }
  }

  private async setKeyword(uid: number, keyword: string): Promise<void> {
    const d = this.t.dovecot();
    const client = new ImapFlow({ host: '127.0.0.1', port: d.imapPort, secure: false, doSTARTTLS: false, auth: { user: this.t.user, pass: this.t.imapPassword }, logger: false, disableAutoIdle: true, connectionTimeout: 3_000, greetingTimeout: 3_000, socketTimeout: 5_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.mailboxOpen('INBOX');
      if (!(await client.messageFlagsAdd(String(uid), [keyword], { uid: true }))) throw new Error('STORE failed');
    } finally {
      client.close();
    }
  }

  private async member(name: string): Promise<void> {
    while (!this.stopped) {
      await this.withMember(name, async (step) => {
        while (!this.stopped) {
          await step(false);
          await new Promise((r) => setTimeout(r, STEP_PAUSE_MS));
        }
      }).catch((err: unknown) => this.log.push(`${name}: ${(err as Error).message.slice(0, 160)} (starting over)`));
      await new Promise((r) => setTimeout(r, STEP_PAUSE_MS));
    }
  }

  /** Runs `use` with a fresh session and IMAP connection; `step(untilDone)` detects once and learns (until nothing is pending). */
  private async withMember(name: string, use: (step: (untilDone: boolean) => Promise<void>) => Promise<void>): Promise<void> {
    const session = new ZkSession({ connectString: this.t.zkConnect(), auth: this.t.auth, sessionTimeoutMs: 4_000, connectTimeoutMs: 5_000 });
    const d = this.t.dovecot();
    const client = new FeedbackClient({ url: `imaps://${this.t.user}@127.0.0.1:${d.imapsPort}/INBOX`, password: new Secret(this.t.imapPassword), caFile: d.caFile, connectTimeoutMs: 3_000, socketTimeoutMs: 5_000 });
    try {
      await session.start();
      await client.open();
      const log = await openLearnLog(session, this.t.root, client.account, SpamModel.load().id);
      await use(async (untilDone) => {
        await detectCorrections({ log, client, filteredMailbox: 'INBOX', junkMailbox: 'Junk', verdictOf: this.verdictOf });
        for (;;) {
          const step = await learnPending({ log, store: this.store, fetch: (m, v, u) => client.fetch(m, v, u), loadBase: () => SpamModel.load() });
          if (step.outcome === 'advanced') this.log.push(`${name}: model v${step.head.version} (${step.learned.length} learned)`);
          if (step.outcome === 'nothing' || !untilDone) return;
        }
      });
    } finally {
      await client.close().catch(() => undefined);
      await session.close();
    }
  }

  private async audit(): Promise<LearningAudit> {
    const problems: string[] = [];
    const session = new ZkSession({ connectString: this.t.zkConnect(), auth: this.t.auth, sessionTimeoutMs: 10_000 });
    await session.start();
    try {
      const account = imapAccountOf(`imap://${this.t.user}@127.0.0.1:${this.t.dovecot().imapsPort}/INBOX`);
      const log = await openLearnLog(session, this.t.root, account, '');
      const head = decodeHead(await log.readHead());
      const consumed = head.modelHash === '' ? [] : this.store.lineageFrom(head.modelHash).flatMap((l) => [...l.applied, ...l.skipped]);
      const wanted = [...this.made].map(([uid, direction]) => correctionId(account, 'INBOX', this.t.uidValidity, uid, direction));
      const pending = await log.pending();
      if (consumed.length !== new Set(consumed).size) problems.push(`a correction was learned twice (${consumed.length} consumed, ${new Set(consumed).size} distinct)`);
      const missing = wanted.filter((id) => !consumed.includes(id));
      const extra = consumed.filter((id) => !wanted.includes(id));
      if (missing.length) problems.push(`${missing.length} corrections never learned`);
      if (extra.length) problems.push(`${extra.length} corrections learned that the user never made`);
      if (pending.length) problems.push(`${pending.length} corrections still pending`);
      return { corrections: wanted.length, learnedOnce: problems.length === 0, versions: head.version, problems };
    } finally {
      await session.close();
    }
  }
}

/** The user tries again while Dovecot restarts or hangs (up to 20 times, 0.5 s apart). */
async function retried(what: string, act: () => Promise<void>): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await act();
    } catch (err) {
      if (tries >= 20) throw new Error(`the user could not ${what}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
