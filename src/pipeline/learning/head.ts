/**
 * The model head: which model version the fleet classifies with, as the learn
 * log's head holds it (`<root>/learn/<account>/head`; docs/design.md).
 */
import { createHash } from 'node:crypto';
import { ExactlyOnceLog, type Versioned, type ZkSession } from '../../coordination/index.js';
import { imapAccountOf } from '../../sources/index.js';

export interface ModelHead {
  /** 0 = the base model, never learned from this account. */
  readonly version: number;
  /** Content hash of this version's model in the store; '' for version 0 (the base model). */
  readonly modelHash: string;
  /** The job identity's model: learning never changes it. */
  readonly baseModelId: string;
  /** The newest correction (czxid, decimal) this version has applied; '0' for none. */
  readonly appliedThrough: string;
  /** Corrections learned along the whole lineage, by direction. */
  readonly learned: { readonly spam: number; readonly ham: number };
}

export function initialHead(baseModelId: string): ModelHead {
  return { version: 0, modelHash: '', baseModelId, appliedThrough: '0', learned: { spam: 0, ham: 0 } };
}

export function encodeHead(h: ModelHead): Buffer {
  return Buffer.from(JSON.stringify(h));
}

export function decodeHead(v: Versioned): ModelHead {
  const h = JSON.parse(v.data.toString('utf8')) as ModelHead;
  if (!Number.isInteger(h.version) || typeof h.modelHash !== 'string') throw new Error('the learn head is not a spamzk model head');
  return h;
}

/** `<root>/learn/<account-key>`: the account's name is hashed, since it holds characters a znode name should not. */
export function learnPath(root: string, account: string): string {
  const key = createHash('sha256').update(account).digest('hex').slice(0, 16);
  return `${root === '/' ? '' : root}/learn/acct-${key}`;
}

/** The account's learn log, created (with a version-0 head for `baseModelId`) if missing. */
export async function openLearnLog(session: ZkSession, root: string, account: string, baseModelId: string): Promise<ExactlyOnceLog> {
  const log = new ExactlyOnceLog(session, learnPath(root, account));
  await log.ensure(encodeHead(initialHead(baseModelId)));
  return log;
}

/**
 * The model head of the account a job's source belongs to, or undefined when
 * it never learned (read only: creates nothing). `sourceId` is a job spec's
 * (an IMAP URL with `;UIDVALIDITY=…`); a fixture source has no account.
 */
export async function readModelHead(session: ZkSession, root: string, sourceId: string): Promise<ModelHead | undefined> {
  if (!/^imaps?:\/\//i.test(sourceId)) return undefined;
  const log = new ExactlyOnceLog(session, learnPath(root, imapAccountOf(sourceId)));
  if (!(await session.exists(log.headPath))) return undefined;
  return decodeHead(await log.readHead());
}
