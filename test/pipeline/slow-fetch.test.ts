/**
 * A fetch that is slow but moving is not a stall: each message that arrives is
 * a heartbeat, so the claim stays fresh and the processor's own stall watchdog
 * (2 × staleAfter of silence) never gives the batch up. Real CLI, real
 * ZooKeeper, real Dovecot, slowed down by pausing its imap processes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapSessionPids, loadMailbox } from '../../src/servers/dovecot.js';
import { tempDirs } from '../support/temp-dirs.js';
import { parseReport, runCli, startTestServers, type TestServers } from './harness.js';

const USER = 'slow-reader';
const PASSWORD = 'slow fetch test password 91c2';
const STALE_AFTER_MS = 1_000;
const MESSAGES = 120;

const temp = tempDirs();
let servers: TestServers;

/** A ham-ish text message of about 300 KB. */
function bigMessage(uid: number): Buffer {
  const line = `Minutes of meeting ${uid}: the quarterly figures were reviewed and the next steps agreed.\n`;
  return Buffer.from(`From: colleague${uid}@example.org\nTo: ${USER}@example.org\nSubject: notes ${uid}\nMessage-ID: <${uid}@example.org>\n\n${line.repeat(3_500)}`);
}

beforeAll(async () => {
  servers = await startTestServers(USER, PASSWORD);
  loadMailbox(servers.dovecot, { user: USER, uidValidity: 31_337, messages: Array.from({ length: MESSAGES }, (_, i) => ({ uid: i + 1, raw: bigMessage(i + 1) })) });
});

afterAll(async () => {
  await servers?.stop();
  temp.removeAll();
});

/** Lets Dovecot's imap processes run 2 ms in every 120 ms until stopped. */
function throttleImap(): () => void {
  let running = true;
  const paused = new Set<number>();
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      paused.delete(pid); // the session ended
    }
  };
  void (async () => {
    while (running) {
      for (const pid of imapSessionPids(servers.dovecot)) {
        signal(pid, 'SIGSTOP');
        paused.add(pid);
      }
      await new Promise((r) => setTimeout(r, 120));
      paused.forEach((pid) => signal(pid, 'SIGCONT'));
      await new Promise((r) => setTimeout(r, 2));
    }
    paused.forEach((pid) => signal(pid, 'SIGCONT'));
  })();
  return () => {
    running = false;
  };
}

describe('a slow but moving fetch', () => {
  it('keeps its claim: one attempt, no reclaim, though the batch is in hand longer than the stall limit', async () => {
    const stopThrottle = throttleImap();
    let result;
    try {
      result = await runCli(
        [
          'run', '--imap', servers.imapsUrl, '--ca-file', servers.dovecot.caFile, '--zk', servers.zk.connectString, '--zk-root', '/slow-fetch',
          '--processors', '1', '--batch-size', String(MESSAGES), '--stale-after', `${STALE_AFTER_MS}ms`, '--session-timeout', '2s',
          '--json', '--report-dir', temp.make('spamzk-slow-report-'),
        ],
        { SPAMZK_IMAP_PASSWORD: PASSWORD },
      );
    } finally {
      stopThrottle();
    }
    expect(result.code, result.stderr).toBe(0);
    const report = parseReport(result.stdout) as ReturnType<typeof parseReport> & {
      commits: { batch: number; attempts: number; durationMs: number }[];
      reclaims: unknown[];
    };
    expect(report.totals.messages).toBe(MESSAGES);
    expect(report.commits).toHaveLength(1);
    // Held past the stall limit (2 × staleAfter of silence), where a fetch without
    // heartbeats is given up and retried.
    expect(report.commits[0]!.durationMs).toBeGreaterThan(2 * STALE_AFTER_MS);
    expect(report.commits[0]!.attempts).toBe(1);
    expect(report.reclaims).toEqual([]);
  });
});
