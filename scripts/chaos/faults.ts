/**
 * The six faults, each against the real thing:
 *   kill       a running processor gets SIGKILL (its claims vanish with its session);
 *   stop       a running processor gets SIGSTOP for longer than its session
 *              timeout, then SIGCONT (it wakes up holding a claim that is void);
 *   zk-leader  the ZooKeeper leader is SIGKILLed, then restarted on its old data;
 *   dovecot    Dovecot crashes (every process SIGKILLed) and starts again on the same ports and mail;
 *   imap-cut   every IMAP session process (but a hung one) is SIGKILLed (the TCP connections drop);
 *   imap-hang  one IMAP session process (one busy in a FETCH if any) is
 *              SIGSTOPped for longer than the stale-after time, then resumed:
 *              the processor waiting on it keeps its ZooKeeper session but
 *              makes no progress, so its claim goes stale and is reclaimed
 *              while it is still alive (the case a fenced commit exists for).
 * A fault that finds nothing to hit (no running processor, no IMAP session) is
 * recorded as skipped, not as injected.
 */
import { readFileSync } from 'node:fs';
import { crashDovecot, imapSessionPids, startDovecotAgain, type DovecotServer } from '../../src/servers/dovecot.js';
import { waitUntil } from '../../src/servers/process.js';
import { delay } from '../../src/shared/index.js';
import type { ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import type { ChaosFleet } from './fleet.js';
import type { FaultKind } from './schedule.js';

export interface FaultTargets {
  readonly zk: ZooKeeperCluster;
  /** Replaced by a restart (new master pid). */
  dovecot: DovecotServer;
  readonly fleet: ChaosFleet;
  readonly random: () => number;
  /** How long a paused processor stays paused. */
  readonly pauseMs: number;
  /** How long hung IMAP sessions stay stopped (longer than stale-after). */
  readonly hangMs: number;
  /** How long the ZooKeeper leader and Dovecot stay down. */
  readonly downMs: number;
  /**
   * Server faults under way, by kind: faults of one kind run one after the
   * other. A Dovecot crash kills hung sessions too, so it needs not wait for a
   * hang, nor an IMAP cut for one.
   */
  readonly inProgress: Map<FaultKind, Promise<void>>;
}

export interface InjectedFault {
  readonly kind: FaultKind;
  readonly atMs: number;
  /** Final once `over` has settled (an IMAP cut may wait for a session). */
  injected: boolean;
  detail: string;
  /** Resolves when the fault is over (process resumed, server back). */
  over: Promise<void>;
}

export function injectFault(kind: FaultKind, atMs: number, t: FaultTargets): InjectedFault {
  const skipped = (detail: string): InjectedFault => ({ kind, atMs, injected: false, detail, over: Promise.resolve() });
  const done = (detail: string, over: Promise<void> = Promise.resolve()): InjectedFault => ({ kind, atMs, injected: true, detail, over });
  switch (kind) {
    case 'kill': {
      const pid = pick(t.fleet.runningPids(), t.random);
      if (pid === undefined) return skipped('no running processor');
      t.fleet.signal(pid, 'SIGKILL');
      return done(`SIGKILL processor ${pid}`);
    }
    case 'stop': {
      const pid = pick(t.fleet.runningPids(), t.random);
      if (pid === undefined) return skipped('no running processor');
      t.fleet.signal(pid, 'SIGSTOP');
      const over = sleep(t.pauseMs).then(() => void t.fleet.signal(pid, 'SIGCONT'));
      return done(`SIGSTOP processor ${pid} for ${t.pauseMs} ms`, over);
    }
    case 'zk-leader':
      return done('ZooKeeper leader killed and restarted', serialized(t, kind, () => restartLeader(t)));
    case 'dovecot':
      return done('Dovecot crashed and restarted', serialized(t, kind, () => restartDovecot(t)));
    case 'imap-cut':
      return cutImapSessions(kind, atMs, t);
    case 'imap-hang':
      return hangImapSessions(kind, atMs, t);
  }
}

/**
 * Sessions come and go (Dovecot may be restarting, a processor reconnecting):
 * wait up to 6 s for one to cut. Killing the `imap` process that serves a
 * session drops its TCP connection, as a NAT timeout or a server crash would.
 */
function cutImapSessions(kind: FaultKind, atMs: number, t: FaultTargets): InjectedFault {
  const fault: InjectedFault = { kind, atMs, injected: false, detail: 'no IMAP session open for 6 s', over: Promise.resolve() };
  fault.over = (async () => {
    // Cutting a Dovecot that is restarting would cut nothing.
    await t.inProgress.get('dovecot');
    let cut = 0;
    const deadline = Date.now() + 6_000;
    while (cut === 0 && Date.now() < deadline && t.fleet.size > 0) {
      // A hung (stopped) session may hold the mailbox's dotlock: killed, it would leave
      // the lock for Dovecot's 2-minute stale timeout, stalling every session that long.
      for (const pid of imapSessionPids(t.dovecot).filter((p) => !isStopped(p))) {
        try {
          process.kill(pid, 'SIGKILL');
          cut++;
        } catch {
          // the session ended on its own meanwhile
        }
      }
      if (cut === 0) await sleep(100);
    }
    // Known once the fault is over; rows are built after every fault is over.
    if (cut > 0) {
      fault.injected = true;
      fault.detail = `cut ${cut} IMAP sessions`;
    }
  })();
  return fault;
}

function hangImapSessions(kind: FaultKind, atMs: number, t: FaultTargets): InjectedFault {
  const fault: InjectedFault = { kind, atMs, injected: false, detail: 'no IMAP session open for 6 s', over: Promise.resolve() };
  fault.over = serialized(t, kind, async () => {
    const deadline = Date.now() + 6_000;
    let hung: number[] = [];
    while (hung.length === 0 && Date.now() < deadline && t.fleet.size > 0) {
      const target = busySession(imapSessionPids(t.dovecot), t.random);
      if (target !== undefined && signalled(target, 'SIGSTOP')) hung = [target];
      if (hung.length === 0) await sleep(100);
    }
    if (hung.length === 0) return;
    await sleep(t.hangMs);
    hung.forEach((pid) => signalled(pid, 'SIGCONT'));
    fault.injected = true;
    fault.detail = `IMAP session ${hung[0]} stopped for ${t.hangMs} ms`;
  });
  return fault;
}

/**
 * One session, preferably one in the middle of a FETCH (Dovecot's
 * verbose_proctitle shows the command): its processor stalls while the others
 * carry on, finish the rest of the job and then find its claim stale.
 */
function busySession(pids: readonly number[], random: () => number): number | undefined {
  const fetching = pids.filter((pid) => {
    try {
      return /fetch/i.test(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
    } catch {
      return false;
    }
  });
  return pick(fetching.length > 0 ? fetching : pids, random);
}

function isStopped(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('T');
  } catch {
    return false;
  }
}

function signalled(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false; // the session ended on its own meanwhile
  }
}

/** A second fault of a kind waits for the first to be over (a quorum of 3 survives one loss; one hang at a time). */
function serialized(t: FaultTargets, kind: FaultKind, restart: () => Promise<void>): Promise<void> {
  const previous = t.inProgress.get(kind) ?? Promise.resolve();
  const next = previous.then(restart);
  t.inProgress.set(kind, next.catch(() => undefined));
  return next;
}

async function restartLeader(t: FaultTargets): Promise<void> {
  // Right after a restart the ensemble may still be electing.
  let leader: number | undefined;
  await waitUntil('a ZooKeeper leader', async () => (leader = await t.zk.leaderId()) !== undefined, 15_000);
  await t.zk.killNode(leader!, 'SIGKILL');
  await sleep(t.downMs);
  await t.zk.startNode(leader!);
}

/**
 * Dovecot crashes (master and every child SIGKILLed: all sessions drop) and
 * comes back on the same ports with the same config, certificate, users and
 * Maildirs.
 */
async function restartDovecot(t: FaultTargets): Promise<void> {
  const old = t.dovecot;
  await crashDovecot(old);
  await sleep(t.downMs);
  for (let attempt = 1; ; attempt++) {
    try {
      t.dovecot = await startDovecotAgain(old);
      return;
    } catch (err) {
      if (attempt >= 3) throw err;
      await sleep(1_000);
    }
  }
}

function pick<T>(items: readonly T[], random: () => number): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(random() * items.length)];
}

const sleep = (ms: number): Promise<void> => delay(ms);
