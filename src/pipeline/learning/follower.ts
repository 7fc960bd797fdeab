/**
 * The model a processor classifies with: the head's version, followed by a
 * watch on the head. A batch pins the current version when it starts and
 * keeps it to the end, so every batch is classified with one version, and a
 * newer one is taken up between batches. A processor that joins later reads
 * the current head at start: it catches up.
 */
import type { SpamModel } from '../../classifier/index.js';
import { ZkSession, type ZkAuth } from '../../coordination/index.js';
import { imapAccountOf } from '../../sources/index.js';
import type { MessageClassifier } from '../classify-batch.js';
import type { Logger, ProcessorSettings } from '../settings.js';
import { decodeHead, openLearnLog } from './head.js';
import { ModelStore } from './model-store.js';

export interface PinnedModel {
  readonly classifier: MessageClassifier;
  /** 0 = the base model. */
  readonly version: number;
}

export interface ModelSource {
  pin(): PinnedModel;
  close(): Promise<void>;
}

/** The base model, never changing (runs without --learn). */
export function fixedModel(model: SpamModel): ModelSource {
  const pinned = { classifier: model, version: 0 };
  return { pin: () => pinned, close: async () => undefined };
}

const RETRY_MS = 1_000;

export async function followModel(settings: ProcessorSettings, base: SpamModel, log: Logger, auth?: ZkAuth): Promise<ModelSource> {
  if (!settings.learn) return fixedModel(base);
  const store = new ModelStore(settings.learn.modelStore);
  const account = imapAccountOf(settings.source);
  let current: PinnedModel = { classifier: base, version: 0 };
  let closed = false;
  let session: ZkSession | undefined;

  const refresh = async (): Promise<void> => {
    if (closed || !session?.alive) return;
    const log_ = await openLearnLog(session, settings.zkRoot, account, base.id);
    const head = decodeHead(await log_.readHead(() => void refresh().catch(onError)));
    if (head.version > current.version) {
      current = { classifier: store.load(head.modelHash), version: head.version };
      log.info({ modelVersion: head.version, learned: head.learned }, 'model version taken up');
    }
  };
  const connect = async (): Promise<void> => {
    const s = new ZkSession({ connectString: settings.connectString, sessionTimeoutMs: settings.sessionTimeoutMs, ...(auth ? { auth } : {}) });
    await s.start();
    session = s;
    // A lost session loses its watch: a new one re-reads the head (and watches it again).
    s.on('lost', () => void reconnectLater());
    await refresh();
  };
  const reconnectLater = async (): Promise<void> => {
    while (!closed) {
      await new Promise((r) => setTimeout(r, RETRY_MS).unref());
      try {
        await connect();
        return;
      } catch (err) {
        onError(err);
      }
    }
  };
  const onError = (err: unknown): void => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'following the model head failed; classifying with the version in hand');
  await connect();
  return {
    pin: () => current,
    close: async () => {
      closed = true;
      await session?.close();
    },
  };
}
