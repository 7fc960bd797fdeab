/**
 * Reading a mailbox to train on: the UIDs that match (all of them, or only
 * seen messages older than a date, for ham the user has had time to judge),
 * then their bodies with BODY.PEEK, in UID chunks (one FETCH each), so `\Seen`
 * is left alone and memory holds one chunk of the server's replies at a time.
 */
import type { ImapFlow, SearchObject } from 'imapflow';
import { uidSet } from './uid-set.js';

export interface TrainingFilter {
  /** Only messages with `\Seen` whose internal date is before this. */
  readonly seenBefore?: Date;
}

/** Messages fetched per FETCH (as the pipeline's batches: one round trip a chunk). */
const CHUNK = 250;

export async function readTrainingMailbox(
  client: ImapFlow,
  mailbox: string,
  filter: TrainingFilter,
  onProgress?: (done: number, total: number) => void,
): Promise<Buffer[]> {
  await client.mailboxOpen(mailbox, { readOnly: true });
  const query: SearchObject = filter.seenBefore ? { seen: true, before: filter.seenBefore } : { all: true };
  const found = await client.search(query, { uid: true });
  const uids = Array.isArray(found) ? found : [];
  const out: Buffer[] = [];
  onProgress?.(0, uids.length);
  for (let i = 0; i < uids.length; i += CHUNK) {
    for await (const m of client.fetch(uidSet(uids.slice(i, i + CHUNK)), { uid: true, source: true }, { uid: true })) {
      if (m.source) out.push(m.source);
    }
    onProgress?.(out.length, uids.length);
  }
  return out;
}
