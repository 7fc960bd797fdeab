/**
 * The session wrapper against a real ZooKeeper: connect timeout, the
 * self-imposed session deadline when the server hangs, and clean exit.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/servers/process.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { SessionLostError, ZkRequestTimeoutError, ZkSession, ZkUnreachableError } from '../../src/coordination/index.js';
import { eventually, waitStopped } from './helpers.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/session-exit.ts', import.meta.url));
let zk: ZooKeeperCluster;

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, tickTimeMs: 500 });
});

afterAll(async () => {
  if (zk) for (const n of zk.nodes) n.server?.child.kill('SIGCONT');
  await zk?.stop();
});

/** Runs the fixture; resolves with its JSON lines and exit status, or 'hung' if it outlives `ms`. */
function runFixture(args: string[], ms: number, onLine?: (event: string) => void) {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const events: string[] = [];
  child.stdout.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      const event = (JSON.parse(line) as { event: string }).event;
      events.push(event);
      onLine?.(event);
    }
  });
  return new Promise<{ events: string[]; exit: string }>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ events, exit: 'hung' });
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ events, exit: `code ${code}` });
    });
  });
}

describe('ZkSession', () => {
  it('an unreachable ensemble is a ZkUnreachableError naming the address and the timeout', async () => {
    const port = await freePort();
    const s = new ZkSession({ connectString: `127.0.0.1:${port}`, connectTimeoutMs: 1_000 });
    const err = await s.start().catch((e) => e);
    expect(err).toBeInstanceOf(ZkUnreachableError);
    expect(err.code).toBe('ZK_UNREACHABLE');
    expect(err.message).toContain(`ZooKeeper at 127.0.0.1:${port} unreachable after 1 s`);
  });

  it('a hung server (SIGSTOP): the session declares itself lost within the session timeout, aborts its signal, and fails requests fast', async () => {
    const s = new ZkSession({ connectString: zk.connectString, sessionTimeoutMs: 2_000, requestTimeoutMs: 1_000 });
    await s.start();
    let lost: SessionLostError | undefined;
    s.on('lost', (e) => (lost = e));
    const server = zk.nodes[0]!.server!;
    server.child.kill('SIGSTOP');
    try {
      await waitStopped(server.pid);
      const started = Date.now();
      const pending = s.getData('/').catch((e) => e);
      expect(await pending).toBeInstanceOf(ZkRequestTimeoutError);
      await eventually('session declared lost', () => lost, 5_000);
      // Within the session timeout plus slack for a loaded machine's event-loop lag.
      expect(Date.now() - started).toBeLessThan(2_000 + 2_000);
      expect(s.signal.aborted).toBe(true);
      expect(s.alive).toBe(false);
      await expect(s.exists('/')).rejects.toBeInstanceOf(SessionLostError);
    } finally {
      server.child.kill('SIGCONT');
      await s.close();
    }
    const fresh = new ZkSession({ connectString: zk.connectString });
    await fresh.start();
    expect(await fresh.exists('/')).toBeDefined();
    await fresh.close();
  });

  it('the process exits by itself after close(): normal use, after a lost session, and after a failed connect', async () => {
    expect(await runFixture([zk.connectString, 'normal'], 10_000)).toEqual({ events: ['ready', 'closed'], exit: 'code 0' });

    const server = zk.nodes[0]!.server!;
    const lostRun = runFixture([zk.connectString, 'lost'], 15_000, (e) => e === 'ready' && server.child.kill('SIGSTOP'));
    const lost = await lostRun;
    server.child.kill('SIGCONT');
    expect(lost).toEqual({ events: ['ready', 'lost', 'closed'], exit: 'code 0' });

    const dead = await freePort();
    expect(await runFixture([`127.0.0.1:${dead}`, 'normal'], 10_000)).toEqual({ events: ['startFailed'], exit: 'code 0' });
  });
});
