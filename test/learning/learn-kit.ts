/** What the learn-path tests share: a user's mail, a learner wired to real servers, and the lineage audit. */
import { SpamModel } from '../../src/classifier/index.js';
import { type ZkSession } from '../../src/coordination/index.js';
import {
  decodeHead,
  detectCorrections,
  learnPending,
  ModelStore,
  openLearnLog,
  type LearnInput,
  type VerdictLookup,
} from '../../src/pipeline/learning/index.js';
import { FeedbackClient, Secret } from '../../src/sources/index.js';
import { PASSWORD, USER } from '../sources/harness.js';

export const ROOT = '/learntest';
const BASE = SpamModel.load();
export const BASE_ID = BASE.id;

/**
 * A plain reply about a meeting, with made-up words that no training message
 * holds: the shipped model calls it ham (log-odds -5.4 against the ham cutoff's
 * -4.67; without the quoted lines the made-up words leave it unsure), and one
 * learn as spam moves a similar one to spam.
 */
export function oddMessage(n: number, words: string): Buffer {
  return Buffer.from(
    `From: Pat <pat${n}@example.net>\nTo: ${USER}@example.org\nSubject: Re: meeting notes ${n}\nMessage-ID: <odd${n}@example.net>\n` +
      `Date: Mon, 30 Nov 2026 10:00:00 +0000\nIn-Reply-To: <x${n}@example.org>\n\nHi,\n\nThanks for the notes from yesterday's meeting. I think the patch looks fine; can you\n` +
      `commit it to the tree before Friday? ${words}\n\nI ran the test suite last night and it passed with the new build.\n\n` +
      `> On Sunday you wrote:\n> Here are the notes from the meeting. Let me know if I missed anything,\n` +
      `> and whether the patch should wait for the next release.\n\nCheers,\nPat\n`,
  );
}

export const ODD_WORDS = 'zorvakite plumbrazzle quintarbex vellumzork snargleflux dombitrax kreelomantic fizzlegrot wombatrix jurpleshine glornax tribbelix';

export function feedbackClient(imapPort: number): FeedbackClient {
  return new FeedbackClient({ url: `imap://${USER}@127.0.0.1:${imapPort}/INBOX`, password: new Secret(PASSWORD), allowPlaintext: true });
}

export interface Kit {
  detect(verdictOf: VerdictLookup): Promise<string[]>;
  learn(extra?: Partial<LearnInput>): ReturnType<typeof learnPending>;
  close(): Promise<void>;
}

/** `via`: reach the account through this client instead (e.g. the IMAPS URL the processors use: the account's name includes the port). */
export async function learnKit(session: ZkSession, imapPort: number, storeDir: string, via?: FeedbackClient): Promise<Kit> {
  const client = via ?? feedbackClient(imapPort);
  await client.open();
  const log = await openLearnLog(session, ROOT, client.account, BASE_ID);
  const store = new ModelStore(storeDir);
  return {
    detect: async (verdictOf) => (await detectCorrections({ log, client, filteredMailbox: 'INBOX', junkMailbox: 'Junk', verdictOf })).map((c) => c.id),
    learn: (extra = {}) => learnPending({ log, store, fetch: (m, v, u) => client.fetch(m, v, u), loadBase: () => SpamModel.load(), ...extra }),
    close: () => client.close(),
  };
}

/** Every correction id consumed along the head's lineage (applied or skipped), with repeats, and the pending ones. */
export async function auditLineage(session: ZkSession, imapPort: number, storeDir: string): Promise<{ consumed: string[]; pending: string[]; version: number }> {
  const client = feedbackClient(imapPort);
  const log = await openLearnLog(session, ROOT, client.account, BASE_ID);
  const head = decodeHead(await log.readHead());
  const lineage = head.modelHash === '' ? [] : new ModelStore(storeDir).lineageFrom(head.modelHash);
  expectVersions(lineage.map((l) => l.version), head.version);
  return { consumed: lineage.flatMap((l) => [...l.applied, ...l.skipped]), pending: (await log.pending()).map((r) => r.name), version: head.version };
}

function expectVersions(versions: number[], top: number): void {
  const want = Array.from({ length: top }, (_, i) => top - i);
  if (JSON.stringify(versions) !== JSON.stringify(want)) throw new Error(`lineage versions ${versions.join(',')} are not ${want.join(',')}`);
}
