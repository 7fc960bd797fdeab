/**
 * One IMAP connection for the learn path: it scans mailboxes for the user's
 * corrections and fetches the corrected messages. Separate from the source's
 * pool (which is busy with batches, and selects the filtered mailbox only).
 */
import type { ImapFlow } from 'imapflow';
import { newImapFlow } from './imapflow-module.js';
import { ImapAuthError, ImapConnectionError } from '../errors.js';
import { findJunkMailbox } from './junk-mailbox.js';
import { fetchForLearning, scanFeedback, type FeedbackScan, type ScanOptions, type ScanPosition } from './feedback-scan.js';
import { readTrainingMailbox, type TrainingFilter } from './training-read.js';
import { imapFlowOptions, imapUrlOf, parseImapUrl, type ImapAddress, type ImapSourceOptions } from './options.js';

/** imap://user@host:port of an IMAP URL: the account whose corrections one learn log holds. */
export function imapAccountOf(url: string): string {
  return imapUrlOf({ ...parseImapUrl(url), mailbox: '' }).replace(/\/$/, '');
}

export class FeedbackClient {
  readonly address: ImapAddress;
  private client: ImapFlow | undefined;

  constructor(private readonly opts: ImapSourceOptions) {
    this.address = parseImapUrl(opts.url);
  }

  /** The account's name for humans and for ZooKeeper paths: imap://user@host:port (no mailbox, no secret). */
  get account(): string {
    return imapAccountOf(this.opts.url);
  }

  async open(): Promise<void> {
    const client = await newImapFlow(imapFlowOptions(this.address, this.opts, 'spamzk-learn'));
    client.on('error', () => undefined); // a dropped socket surfaces as the next command's rejection
    try {
      await client.connect();
    } catch (err) {
      const e = err as { authenticationFailed?: boolean; message?: string };
      if (e.authenticationFailed) throw new ImapAuthError(`${this.account} refused the login of ${this.address.user}`, { cause: err });
      throw new ImapConnectionError(`cannot connect to ${this.account}: ${e.message ?? String(err)}`, { cause: err });
    }
    this.client = client;
  }

  /** The Junk mailbox the user's client moves junk to: `named` (--junk-mailbox, it must exist), else the server's \\Junk. */
  junkMailbox(named?: string): Promise<string> {
    return findJunkMailbox(this.live(), named, this.address.mailbox, this.account, '--learn');
  }

  scan(mailbox: string, since: ScanPosition | undefined, opts?: ScanOptions): Promise<FeedbackScan> {
    return scanFeedback(this.live(), mailbox, since, opts);
  }

  fetch(mailbox: string, uidValidity: number, uids: readonly number[]): Promise<Map<number, Buffer>> {
    return fetchForLearning(this.live(), mailbox, uidValidity, uids);
  }

  readForTraining(mailbox: string, filter: TrainingFilter, onProgress?: (done: number, total: number) => void): Promise<Buffer[]> {
    return readTrainingMailbox(this.live(), mailbox, filter, onProgress);
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.logout().catch(() => client.close());
  }

  private live(): ImapFlow {
    if (!this.client) throw new ImapConnectionError(`the learn connection to ${this.account} is not open`);
    return this.client;
  }
}
