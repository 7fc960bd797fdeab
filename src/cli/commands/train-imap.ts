/**
 * `spamzk train --imap URL`: trains from the user's own mailboxes. Spam from
 * the Junk mailbox (`--spam-mailbox`, else the one marked \Junk by
 * SPECIAL-USE), ham from `--ham-mailbox` (default INBOX), limited to seen
 * messages older than `--ham-older-than` (default 7d: mail the user has had
 * time to judge). From scratch (`--from empty`) or on top of a model
 * (`--model FILE`, default the shipped one). Bodies are read with BODY.PEEK.
 * The password comes from SPAMZK_IMAP_PASSWORD or --password-file, never argv.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { SpamModel, trainModel, type LabelledMessage } from '../../classifier/index.js';
import { openFeedbackClient, type FeedbackClient } from '../../sources/index.js';
import { reportError } from '../command-errors.js';
import { ConfigError, parseDuration } from '../config.js';
import { modelToRead } from '../model-path.js';

export interface TrainImapOptions {
  imap?: string;
  spamMailbox?: string;
  hamMailbox: string;
  hamOlderThan: string;
  from?: string;
  passwordFile?: string;
  caFile?: string;
  insecure?: boolean;
  out: string;
  json?: boolean;
}

/** The IMAP flags of `spamzk train` (the command calls trainFromImap when --imap is given). */
export function addTrainImapOptions(cmd: Command): Command {
  return cmd
    .option('--imap <url>', 'train from an IMAP account: imaps://user@host:993 (no password in it)')
    .option('--spam-mailbox <name>', 'spam to train on [SPAMZK_JUNK_MAILBOX, the Junk mailbox of run] (default: the mailbox marked \\Junk by SPECIAL-USE)')
    .option('--ham-mailbox <name>', 'ham to train on', 'INBOX')
    .option('--ham-older-than <age>', 'only seen ham older than this (e.g. 7d, 12h; 0 = all of it, seen or not)', '7d')
    .option('--from <what>', 'with --imap: "empty" to train from scratch, or a model file to train on top of (default: your model, else the shipped one)')
    .option('--password-file <file>', 'file holding the IMAP password [SPAMZK_IMAP_PASSWORD]')
    .option('--ca-file <file>', 'PEM of the CA to trust for a private server')
    .option('--insecure', 'accept any TLS certificate (test servers only)');
}

export async function trainFromImap(opts: TrainImapOptions): Promise<number> {
  try {
    const ageMs = parseAge(opts.hamOlderThan);
    const base = opts.from === 'empty' ? undefined : modelToRead(opts.from);
    if (base !== undefined && !existsSync(base.path)) throw new ConfigError(`--from ${JSON.stringify(opts.from)}: no such model file (give "empty" or a model file)`);
    const client = openFeedbackClient(opts.imap!, {
      ...(opts.passwordFile ? { passwordFile: opts.passwordFile } : {}),
      ...(opts.caFile ? { caFile: opts.caFile } : {}),
      insecure: opts.insecure === true,
    });
    await client.open();
    let messages: LabelledMessage[];
    const spamMailbox = opts.spamMailbox ?? '';
    try {
      messages = await readBoth(client, opts, ageMs);
    } finally {
      await client.close();
    }
    const source = `imap: ${client.account} spam=${spamMailbox || '\\Junk'} ham=${opts.hamMailbox}${ageMs > 0 ? ` (seen, older than ${opts.hamOlderThan})` : ''}`;
    const model = base === undefined ? trainModel(messages, { source }) : onTopOf(SpamModel.load(base.path), messages);
    model.save(opts.out);
    const spam = messages.filter((m) => m.label === 'spam').length;
    const summary = { model: opts.out, id: model.id, spam, ham: messages.length - spam, from: base === undefined ? 'empty' : base.path };
    process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : `trained on ${summary.spam} spam + ${summary.ham} ham from ${client.account} (${base === undefined ? 'from scratch' : `on top of ${base.path}`})\nwrote ${opts.out}\nmodel id ${model.id}\n`);
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

async function readBoth(client: FeedbackClient, opts: TrainImapOptions, ageMs: number): Promise<LabelledMessage[]> {
  // The same Junk mailbox setting as run's --junk-mailbox (write-back move and --learn).
  const junk = await client.junkMailbox(opts.spamMailbox ?? (process.env.SPAMZK_JUNK_MAILBOX || undefined));
  const spam = await client.readForTraining(junk, {}, progress(`spam from ${junk}`));
  const hamFilter = ageMs > 0 ? { seenBefore: new Date(Date.now() - ageMs) } : {};
  const ham = await client.readForTraining(opts.hamMailbox, hamFilter, progress(`ham from ${opts.hamMailbox}`));
  if (spam.length === 0 || ham.length === 0) {
    throw new ConfigError(`nothing to train on: ${spam.length} spam in ${junk}, ${ham.length} ham in ${opts.hamMailbox}${ageMs > 0 ? ` (seen, older than ${opts.hamOlderThan})` : ''}`);
  }
  return [...spam.map((raw) => ({ raw, label: 'spam' as const })), ...ham.map((raw) => ({ raw, label: 'ham' as const }))];
}

function onTopOf(model: SpamModel, messages: readonly LabelledMessage[]): SpamModel {
  for (const m of messages) model.learn(m.raw, m.label);
  return model;
}

/** "7d", "12h", "30m", "0": days on top of the run flags' durations. */
function parseAge(text: string): number {
  const days = /^\s*(\d+(?:\.\d+)?)\s*d\s*$/.exec(text);
  if (days) return Math.round(Number(days[1]) * 86_400_000);
  return parseDuration(text, '--ham-older-than');
}

/** On a terminal, one line rewritten in place; elsewhere nothing (the summary says what was read). */
function progress(what: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  return (done, total) => {
    process.stderr.write(`\r${what}: ${done}/${total}${done === total ? '\n' : ''}`);
  };
}
