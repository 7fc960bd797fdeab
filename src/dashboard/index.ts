/**
 * The live status page (`spamzk status --serve`) and the JobSnapshot it shows,
 * which `spamzk status` prints too. Built on coordination's read side only.
 */
import type { ZkSession } from '../coordination/index.js';
import { StatusServer } from './server.js';
import { FleetWatcher } from './watcher.js';

export { readJobSnapshot, batchStateAt, BATCH_STATE_CODES, CommitCache } from './snapshot.js';
export type { JobSnapshot, BatchState, ClaimView, ControlView, ProcessorView, Throughput, ThroughputPoint } from './snapshot.js';
export { FleetWatcher, type FleetUpdate, type FleetWatcherOptions } from './watcher.js';
export { StatusServer, DashboardServerError, LOOPBACK } from './server.js';

export interface ServeStatusPageOptions {
  /** A started session; the page takes it over (and closes it on close()). */
  session: ZkSession;
  /** Opens and starts a new session, used when the current one is lost. */
  openSession: () => Promise<ZkSession>;
  root: string;
  /** 0 picks a free port. */
  port: number;
  debounceMs?: number;
  /** Read errors and reconnects, for the log; the page keeps serving. */
  onError?: (err: unknown) => void;
}

export interface StatusPage {
  readonly url: string;
  close(): Promise<void>;
}

const RECONNECT_BACKOFF_MS = [500, 1_000, 2_000, 5_000];

/** Serves the status page on 127.0.0.1 until close(); survives the loss of its ZooKeeper session. */
export async function serveStatusPage(o: ServeStatusPageOptions): Promise<StatusPage> {
  let session = o.session;
  let closed = false;
  const watcher = new FleetWatcher(session, { root: o.root, debounceMs: o.debounceMs, onError: o.onError });
  const reconnect = async (): Promise<void> => {
    for (let attempt = 0; !closed; attempt++) {
      await new Promise((r) => setTimeout(r, RECONNECT_BACKOFF_MS[Math.min(attempt, RECONNECT_BACKOFF_MS.length - 1)]));
      if (closed) return;
      try {
        session = await o.openSession();
      } catch (err) {
        o.onError?.(err);
        continue;
      }
      if (closed) return void (await session.close());
      watchForLoss(session);
      watcher.replaceSession(session);
      return;
    }
  };
  const watchForLoss = (s: ZkSession): void => {
    s.once('lost', (err) => {
      o.onError?.(err);
      void reconnect();
    });
  };
  watchForLoss(session);
  await watcher.start();
  const server = new StatusServer(watcher, { port: o.port, root: o.root });
  try {
    await server.listen();
  } catch (err) {
    watcher.close();
    throw err;
  }
  return {
    url: server.url,
    async close() {
      closed = true;
      watcher.close();
      await server.close();
      await session.close();
    },
  };
}
