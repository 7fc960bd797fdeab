/**
 * The learn path inside a run (`--learn`): before the first pass and after
 * each pass, this member reads the user's corrections since the last pass
 * (detect) and learns whatever is pending (learn), until nothing is. Any
 * other member of the fleet may do the same at the same time: the log's
 * cursors and the head's CAS make each correction enter the log once and be
 * learned once (docs/design.md).
 */
import { SpamModel } from '../../classifier/index.js';
import { readDoneMarkers, type ExactlyOnceLog } from '../../coordination/index.js';
import { openFeedbackClient, parseImapUrl, type FeedbackClient } from '../../sources/index.js';
import { decodeBatchResult } from '../batch-result.js';
import type { JobSession } from '../job-session.js';
import type { JobSettings, Logger } from '../settings.js';
import { sourceOptionsFrom } from '../source-options.js';
import type { Correction, VerdictLookup } from './correction.js';
import { detectCorrections } from './detect.js';
import { decodeHead, openLearnLog, type ModelHead } from './head.js';
import { learnPending } from './learner.js';
import { ModelStore } from './model-store.js';

export interface LearningSummary {
  /** The fleet's model head at the end of the run. */
  readonly head: ModelHead;
  /** Corrections this run's member detected and learned (others' are in the head's totals). */
  readonly detected: { spam: number; ham: number };
  readonly learned: { spam: number; ham: number };
  /** Versions this member advanced the head to. */
  readonly versionsMade: number[];
  /** Batches committed with each model version (from the done markers), e.g. { "0": 12, "1": 3 }. */
  readonly versionsUsed: Record<string, number>;
}

export interface LearningRun {
  /** One detect-and-learn round; returns the head after it (undefined: the pass failed and was logged). */
  pass(jobId: string): Promise<ModelHead | undefined>;
  summary(jobId: string): Promise<LearningSummary>;
  close(): Promise<void>;
}

/**
 * Checks the learn path before any work (the account logs in, the Junk
 * mailbox is found, the learn log exists): a bad --junk-mailbox or an account
 * without a \Junk mailbox fails the run at once. Later passes open their own
 * connection, so an IMAP outage costs a pass's learning, never the run.
 */
export async function startLearning(settings: JobSettings, sessions: JobSession, baseModelId: string, log: Logger): Promise<LearningRun | undefined> {
  const learn = settings.learn;
  if (!learn) return undefined;
  const connect = (): FeedbackClient => openFeedbackClient(settings.source, sourceOptionsFrom(settings, log));
  const client = connect();
  await client.open();
  try {
    const account = client.account;
    // The run's session is renewed after an outage (job-session.ts): each use opens the log on the live one.
    const openLog = (): Promise<ExactlyOnceLog> => sessions.run('opening the learn log', (s) => openLearnLog(s, settings.zkRoot, account, baseModelId));
    await openLog();
    const junk = await client.junkMailbox(settings.junkMailbox);
    await client.scan(junk, undefined); // the mailbox opens
    const filtered = parseImapUrl(settings.source).mailbox;
    return new RunLearning(settings, sessions, connect, openLog, new ModelStore(learn.modelStore), filtered, junk, log);
  } finally {
    await client.close();
  }
}

class RunLearning implements LearningRun {
  private readonly detected = { spam: 0, ham: 0 };
  private readonly learned = { spam: 0, ham: 0 };
  private readonly versionsMade: number[] = [];

  constructor(
    private readonly settings: JobSettings,
    private readonly sessions: JobSession,
    private readonly connect: () => FeedbackClient,
    private readonly openLog: () => Promise<ExactlyOnceLog>,
    private readonly store: ModelStore,
    private readonly filteredMailbox: string,
    private readonly junkMailbox: string,
    private readonly logger: Logger,
  ) {}

  /**
   * A pass that fails (IMAP or ZooKeeper down) is logged and given up: the
   * cursors did not move past what it did not append, and whatever it did not
   * learn stays pending, so the next pass (or another member) takes it.
   */
  async pass(jobId: string): Promise<ModelHead | undefined> {
    const client = this.connect();
    try {
      await client.open();
      return await this.detectAndLearn(jobId, client);
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'learning pass failed: its corrections wait for the next pass');
      return undefined;
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  private async detectAndLearn(jobId: string, client: FeedbackClient): Promise<ModelHead> {
    const verdicts = await this.verdictsOf(jobId);
    const log = await this.openLog();
    const found = await detectCorrections({ log, client, filteredMailbox: this.filteredMailbox, junkMailbox: this.junkMailbox, verdictOf: (uid) => verdicts.get(uid) });
    count(this.detected, found);
    for (;;) {
      const step = await learnPending({
        log,
        store: this.store,
        fetch: (mailbox, uidValidity, uids) => client.fetch(mailbox, uidValidity, uids),
        loadBase: () => SpamModel.load(this.settings.model),
      });
      if (step.outcome === 'nothing') {
        if (found.length > 0) this.logger.info({ detected: found.length, modelVersion: step.head.version }, 'corrections detected');
        return step.head;
      }
      if (step.outcome === 'advanced') {
        count(this.learned, step.learned);
        this.versionsMade.push(step.head.version);
        this.logger.info({ modelVersion: step.head.version, learned: step.learned.length, skipped: step.skipped.length }, 'corrections learned: new model version');
      }
    }
  }

  async summary(jobId: string): Promise<LearningSummary> {
    const head = decodeHead(await (await this.openLog()).readHead());
    const versionsUsed: Record<string, number> = {};
    for (const marker of await this.doneMarkers(jobId)) {
      const v = String(decodeBatchResult(marker.result).modelVersion ?? 0);
      versionsUsed[v] = (versionsUsed[v] ?? 0) + 1;
    }
    return { head, detected: { ...this.detected }, learned: { ...this.learned }, versionsMade: [...this.versionsMade], versionsUsed };
  }

  async close(): Promise<void> {
    // Each pass closes its own connection.
  }

  private doneMarkers(jobId: string): ReturnType<typeof readDoneMarkers> {
    return this.sessions.run('reading the done markers', (s) => readDoneMarkers(s, this.settings.zkRoot, jobId));
  }

  /** spamzk's verdict on each UID of the filtered mailbox, from the job's done markers. */
  private async verdictsOf(jobId: string): Promise<Map<number, ReturnType<VerdictLookup> & string>> {
    const out = new Map<number, ReturnType<VerdictLookup> & string>();
    for (const marker of await this.doneMarkers(jobId)) {
      for (const m of decodeBatchResult(marker.result).messages) out.set(m.key, m.verdict);
    }
    return out;
  }
}

function count(into: { spam: number; ham: number }, corrections: readonly Correction[]): void {
  for (const c of corrections) into[c.direction]++;
}
