/** Helpers for coordination tests: child processors, and waiting on conditions instead of bare sleeps. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { ZkSession, type ZkAuth } from '../../src/coordination/index.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/child-processor.ts', import.meta.url));

export interface ChildLine {
  event: string;
  pid: number;
  processorId: string;
  batch?: number;
  claimSeq?: number;
  [key: string]: unknown;
}

export interface ChildProcessor {
  readonly proc: ChildProcess;
  readonly processorId: string;
  readonly lines: ChildLine[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first line (already seen or future) matching `pred`. */
  waitFor(pred: (l: ChildLine) => boolean, timeoutMs: number, what?: string): Promise<ChildLine>;
  kill(signal: NodeJS.Signals): void;
}

export function startChildProcessor(options: Record<string, unknown> & { processorId: string }, auth?: ZkAuth): ChildProcessor {
  const env = { ...process.env };
  delete env.SPAMZK_ZK_AUTH;
  if (auth) env.SPAMZK_ZK_AUTH = `${auth.user}:${auth.password}`;
  const proc = spawn(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(options)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: ChildLine[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as ChildLine);
    } catch {
      return; // not ours (e.g. a warning printed by a library)
    }
    for (const w of waiters) w();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve({ code, signal });
    }),
  );
  return {
    proc,
    processorId: options.processorId,
    lines,
    exited,
    kill: (signal) => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    },
    waitFor(pred, timeoutMs, what = 'a matching line') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            finish();
            resolve(hit);
          } else if (proc.exitCode !== null || proc.signalCode !== null) {
            finish();
            reject(new Error(`${options.processorId} exited before ${what}; stderr:\n${stderr.slice(-2000)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${options.processorId}: no ${what} within ${timeoutMs} ms; stderr:\n${stderr.slice(-2000)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** Polls `probe` every `everyMs` until it returns a truthy value; fails naming `what` after `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T> | T, timeoutMs: number, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A started session for test assertions; close it in afterAll/finally. */
export async function openSession(connectString: string, auth?: ZkAuth): Promise<ZkSession> {
  const s = new ZkSession({ connectString, sessionTimeoutMs: 4_000, auth });
  await s.start();
  return s;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export function makeBatches(n: number, from = 0) {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { index: i, first: i * 10, last: i * 10 + 9, count: 10 };
  });
}

/** Every `committed` line across children, grouped by batch. */
export function commitsByBatch(children: ChildProcessor[]): Map<number, ChildLine[]> {
  const out = new Map<number, ChildLine[]>();
  for (const c of children) {
    for (const l of c.lines) {
      if (l.event !== 'committed' || l.batch === undefined) continue;
      out.set(l.batch, [...(out.get(l.batch) ?? []), l]);
    }
  }
  return out;
}

/**
 * Waits until every thread of `pid` is stopped (after SIGSTOP): a JVM thread
 * already running on another core can otherwise still answer one request.
 */
export async function waitStopped(pid: number, timeoutMs = 5_000): Promise<void> {
  await eventually(
    `process ${pid} stopped`,
    () =>
      readdirSync(`/proc/${pid}/task`).every((tid) => {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        return state === 'T' || state === 't';
      }),
    timeoutMs,
    10,
  );
}

export interface TcpProxy {
  /** "127.0.0.1:port" of the proxy. */
  readonly address: string;
  /** Cuts every connection through the proxy (both sides), as a network fault would; new connections are accepted. */
  cutAll(): void;
  close(): Promise<void>;
}

/** A TCP proxy on 127.0.0.1 to `targetPort`, so a test can cut a client's connection while the server keeps running. */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (sock: Socket) => {
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
  };
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    cutAll: () => {
      for (const sock of sockets) sock.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
}
