/**
 * imapflow, loaded the first time a connection is made. It and what it pulls
 * in (encodings, MIME helpers) cost a process about 25 MB of RSS; a fixture
 * replay's processors never speak IMAP and so never pay it (issue 12: a
 * processor stays within 150 MB with the model loaded).
 */
import type { ImapFlow, ImapFlowOptions } from 'imapflow';

let loading: Promise<typeof import('imapflow')> | undefined;

export async function newImapFlow(options: ImapFlowOptions): Promise<ImapFlow> {
  loading ??= import('imapflow');
  const { ImapFlow: Flow } = await loading;
  return new Flow(options);
}
