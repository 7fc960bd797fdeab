import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authProcessPids, imapSessionPids, loadMailbox, type DovecotServer } from '../../src/servers/dovecot.js';
import {
  ImapAuthError,
  ImapConnectionError,
  ImapMailboxError,
  ImapSource,
  ImapTlsError,
  openSource,
  Secret,
  SourceStateError,
  canonicalRaw,
  UidValidityChangedError,
  writeBackVerdicts,
  WriteBackError,
} from '../../src/sources/index.js';
import type { ImapSourceOptions } from '../../src/sources/index.js';
import { isAlive } from '../../src/servers/process.js';
import { bareClient, message, PASSWORD, plainSource, startTestDovecot, stopTestDovecot, USER } from './harness.js';

let server: DovecotServer;
// UIDs with gaps: 5, 6, 7, then every 7th up to ~700.
const UIDS = [5, 6, 7, ...Array.from({ length: 100 }, (_, i) => 20 + i * 7)];
const BODY = (uid: number): Buffer => message(uid, 'x'.repeat(2000) + '\n');

beforeAll(async () => {
  server = await startTestDovecot();
});
afterAll(async () => {
  await stopTestDovecot(server);
});

function loadInbox(uidValidity = 4242, flags?: (uid: number) => string): void {
  loadMailbox(server, { user: USER, uidValidity, messages: UIDS.map((uid) => ({ uid, raw: BODY(uid), flags: flags?.(uid) })) });
}

describe('IMAP source against a real Dovecot', () => {
  it('lists UIDs with gaps (ESEARCH) and fetches UID ranges with gaps, bytes as the server sends them', async () => {
    loadInbox();
    const source = plainSource(server);
    const identity = await source.open();
    expect(identity).toEqual({ kind: 'imap', id: `imap://${USER}@127.0.0.1:${server.imapPort}/INBOX;UIDVALIDITY=4242`, uidValidity: 4242 });
    expect(await source.listKeys()).toEqual(UIDS);
    expect(await source.listKeysAfter(650)).toEqual(UIDS.filter((u) => u > 650));
    expect(await source.listKeysAfter(10_000)).toEqual([]);
    const got = await source.fetchRange({ first: 6, last: 40 });
    expect(got.map((m) => m.key)).toEqual([6, 7, 20, 27, 34]);
    expect(got[0]!.raw.equals(canonicalRaw(BODY(6)))).toBe(true);
    expect(await source.fetchRange({ first: 8, last: 19 })).toEqual([]);
    await source.close();
  });

  it('reports progress as messages arrive, so that a long fetch can show it is alive', async () => {
    loadInbox();
    const source = plainSource(server);
    await source.open();
    const counts: number[] = [];
    const got = await source.fetchRange({ first: 1, last: 10_000 }, undefined, (received) => counts.push(received));
    expect(got.length).toBe(UIDS.length);
    expect(counts).toEqual(UIDS.map((_, i) => i + 1));
    await source.close();
  });

  it('reading never changes \\Seen (BODY.PEEK), checked from a second client', async () => {
    loadInbox(4242, (uid) => (uid === 6 ? 'S' : ''));
    const source = plainSource(server);
    await source.open();
    const all = await source.fetchRange({ first: 1, last: 10_000 });
    expect(all.length).toBe(UIDS.length);
    await source.close();
    const client = await bareClient(server);
    await client.mailboxOpen('INBOX', { readOnly: true });
    const seen: number[] = [];
    for await (const m of client.fetch('1:*', { uid: true, flags: true }, { uid: true })) if (m.flags?.has('\\Seen')) seen.push(m.uid);
    await client.logout();
    expect(seen).toEqual([6]);
  });

  /**
   * Fetches the whole (10 MB) mailbox with `fault` applied to the serving imap process once a few
   * messages have arrived. If the server had already sent everything (a loopback socket buffer can
   * hold megabytes), the fault missed the fetch: the run is repeated, up to 4 times, so the test
   * always proves a resume from the middle of a range.
   */
  async function fetchThroughFault(fault: (pids: number[]) => void, extra: Partial<ImapSourceOptions> = {}): Promise<void> {
    const big = (uid: number): Buffer => message(uid, `${uid} `.repeat(100_000 / String(uid).length) + '\n');
    loadMailbox(server, { user: USER, uidValidity: 4242, messages: UIDS.map((uid) => ({ uid, raw: big(uid) })) });
    for (let run = 1; ; run++) {
      let receivedBeforeDrop = -1;
      let received = 0;
      const faulted: number[] = [];
      const source = plainSource(server, {
        ...extra,
        observer: {
          onFetched: () => {
            received++;
            if (faulted.length === 0 && received === 4) {
              faulted.push(...imapSessionPids(server));
              fault(faulted);
            }
          },
          onReconnect: () => {
            if (receivedBeforeDrop < 0) receivedBeforeDrop = received;
          },
        },
      });
      try {
        await source.open();
        const got = await source.fetchRange({ first: 1, last: 10_000 });
        expect(faulted.length).toBeGreaterThan(0);
        expect(got.map((m) => m.key)).toEqual(UIDS);
        for (const m of got) expect(m.raw.equals(canonicalRaw(big(m.key)))).toBe(true);
        if (receivedBeforeDrop > 0 || run === 4) {
          expect(receivedBeforeDrop).toBeGreaterThan(0); // the drop came mid-range...
          expect(receivedBeforeDrop).toBeLessThan(UIDS.length); // ...with messages still to come
          return;
        }
      } finally {
        // A stopped process resumes and exits; a killed one is gone already.
        for (const pid of faulted.filter(isAlive)) process.kill(pid, 'SIGCONT');
        await source.close();
      }
    }
  }

  it('a connection killed mid-fetch is replaced and the range resumes: no message lost or repeated', async () => {
    await fetchThroughFault((pids) => pids.forEach((pid) => process.kill(pid, 'SIGKILL')));
  });

  it('a server that hangs mid-fetch (no data, socket open) is given up after socketTimeoutMs and the range resumes', async () => {
    await fetchThroughFault((pids) => pids.forEach((pid) => process.kill(pid, 'SIGSTOP')), { socketTimeoutMs: 1_000 });
  });

  it('a UIDVALIDITY change under a running job stops it with UidValidityChangedError', async () => {
    loadInbox(1000);
    const source = plainSource(server);
    await source.open();
    expect((await source.fetchRange({ first: 1, last: 7 })).length).toBe(3);
    loadInbox(2000); // the mailbox is recreated: same UIDs, new numbering
    const error = await source.fetchRange({ first: 20, last: 100 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UidValidityChangedError);
    expect(error).toMatchObject({ code: 'IMAP_UIDVALIDITY_CHANGED', expected: 1000, actual: 2000 });
    await expect(source.listKeys()).rejects.toBeInstanceOf(UidValidityChangedError);
    await source.close();
    // A processor that joins later, expecting the planned numbering, is stopped at open().
    await expect(plainSource(server, { expectUidValidity: 1000 }).open()).rejects.toMatchObject({ code: 'IMAP_UIDVALIDITY_CHANGED', actual: 2000 });
    const same = plainSource(server, { expectUidValidity: 2000 });
    expect((await same.open()).uidValidity).toBe(2000);
    await same.close();
  });

  it('a missing mailbox gives ImapMailboxError', async () => {
    const source = plainSource(server, {}, 'NoSuchFolder');
    await expect(source.open()).rejects.toBeInstanceOf(ImapMailboxError);
  });

  it('a self-signed certificate is refused unless trusted (imaps and STARTTLS), and insecure warns', async () => {
    loadInbox();
    const env = { SPAMZK_IMAP_PASSWORD: PASSWORD };
    const imaps = `imaps://${USER}@127.0.0.1:${server.imapsPort}/INBOX`;
    const starttls = `imap://${USER}@localhost:${server.imapPort}/INBOX`;
    for (const url of [imaps, starttls]) {
      const untrusted = openSource(url, { env });
      await expect(untrusted.open()).rejects.toBeInstanceOf(ImapTlsError);
      const trusted = openSource(url, { env, caFile: server.caFile });
      expect((await trusted.open()).uidValidity).toBe(4242);
      expect((await trusted.listKeys()).length).toBe(UIDS.length);
      await trusted.close();
    }
    const warnings: string[] = [];
    const insecure = openSource(imaps, { env, insecure: true, warn: (m) => warnings.push(m) });
    await insecure.open();
    await insecure.close();
    expect(warnings.join('\n')).toMatch(/certificate checks are OFF/);
  });

  it('the request rate and the connection cap per account are honoured, across two sources of one account', async () => {
    loadInbox();
    const starts: number[] = [];
    const connections = new Set<string>();
    let maxSessions = 0;
    const observer = {
      onRequest: ({ at, connection }: { at: number; connection: number }) => {
        starts.push(at);
        connections.add(`${connection}`);
        maxSessions = Math.max(maxSessions, imapSessionPids(server).length);
      },
    };
    // Each source may open 2 connections, the account only 2 in all.
    const a = plainSource(server, { requestsPerSecond: 8, accountMaxConnections: 2, maxConnections: 2, observer });
    const b = plainSource(server, { requestsPerSecond: 8, accountMaxConnections: 2, maxConnections: 2, observer });
    await Promise.all([a.open(), b.open()]);
    const ranges = Array.from({ length: 8 }, (_, i) => ({ first: 1 + i * 90, last: 90 + i * 90 }));
    const results = await Promise.all(ranges.map((r, i) => (i % 2 ? a : b).fetchRange(r)));
    expect(results.flat().map((m) => m.key).sort((x, y) => x - y)).toEqual(UIDS);
    await Promise.all([a.close(), b.close()]);
    starts.sort((x, y) => x - y);
    // 8 commands/s: bottleneck schedules command k at least 125 ms after command k-1. A timer can
    // fire late on a busy machine (so one gap may shrink), but never early: any two commands i < j
    // are at least (j - i) x 125 ms apart, less the lateness of the first, allowed up to one slot.
    for (let i = 0; i < starts.length; i++) {
      for (let j = i + 1; j < starts.length; j++) expect(starts[j]! - starts[i]!).toBeGreaterThanOrEqual((j - i) * 125 - 125);
    }
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(7 * 125 - 125);
    expect(starts.length).toBe(8);
    expect(maxSessions).toBeLessThanOrEqual(2);
    expect(maxSessions).toBeGreaterThanOrEqual(1);
  });

  it('close() drains the fetches in flight, then refuses new work and leaves no socket or timer behind', async () => {
    loadInbox();
    const before = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const source = plainSource(server, { maxConnections: 3 });
    await source.open();
    const inFlight = [source.fetchRange({ first: 1, last: 300 }), source.fetchRange({ first: 301, last: 10_000 })];
    await source.close();
    const [first, second] = await Promise.all(inFlight);
    expect([...first!, ...second!].map((m) => m.key)).toEqual(UIDS);
    await expect(source.fetchRange({ first: 1, last: 10 })).rejects.toBeInstanceOf(SourceStateError);
    await new Promise((r) => setTimeout(r, 50));
    expect(process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length).toBeLessThanOrEqual(before);
    expect(imapSessionPids(server)).toEqual([]);
  });

  it('an abort stops a fetch at once, even mid-range, and the source keeps working', async () => {
    loadInbox();
    const controller = new AbortController();
    let seen = 0;
    const source = plainSource(server, {
      observer: {
        onFetched: () => {
          if (++seen === 3) controller.abort();
        },
      },
    });
    await source.open();
    const already = new AbortController();
    already.abort();
    await expect(source.fetchRange({ first: 1, last: 100 }, already.signal)).rejects.toMatchObject({ code: 'SOURCE_ABORTED' });
    await expect(source.fetchRange({ first: 1, last: 10_000 }, controller.signal)).rejects.toMatchObject({ code: 'SOURCE_ABORTED' });
    expect(seen).toBeLessThan(UIDS.length);
    expect((await source.fetchRange({ first: 1, last: 10_000 })).length).toBe(UIDS.length);
    await source.close();
  });

  /**
   * Runs `body` while Dovecot's auth process is stopped: the server greets,
   * then every LOGIN waits. The socket stays open and quiet, so only our own
   * set-up budget or an abort can end the wait (socketTimeoutMs is far off).
   */
  async function withLoginsHanging(body: () => Promise<void>): Promise<void> {
    const auth = authProcessPids(server);
    expect(auth.length).toBeGreaterThan(0);
    auth.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    try {
      await body();
    } finally {
      auth.forEach((pid) => process.kill(pid, 'SIGCONT'));
    }
  }

  it('a login that hangs after the greeting is given up after connectTimeoutMs, not the socket timeout', async () => {
    loadInbox();
    const source = plainSource(server, { connectTimeoutMs: 800, socketTimeoutMs: 60_000, maxAttempts: 2 });
    await withLoginsHanging(async () => {
      const started = Date.now();
      const error = await source.open().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ImapConnectionError);
      expect((error as Error).message).toMatch(/failed 2 times in a row .*did not log in and open "INBOX" within 0\.8 s/);
      expect(Date.now() - started).toBeLessThan(10_000);
    });
    const fresh = plainSource(server);
    await fresh.open();
    expect(await fresh.listKeys()).toEqual(UIDS);
    await fresh.close();
  });

  it('an abort reaches a connection that is still logging in: the fetch ends at once, its slot is freed', async () => {
    loadInbox();
    const source = plainSource(server, { connectTimeoutMs: 60_000, socketTimeoutMs: 60_000, maxConnections: 1 });
    await source.open();
    // The idle connection dies, so the next fetch must log in anew.
    imapSessionPids(server).forEach((pid) => process.kill(pid, 'SIGKILL'));
    await waitFor(() => imapSessionPids(server).length === 0);
    await withLoginsHanging(async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 300);
      const started = Date.now();
      await expect(source.fetchRange({ first: 1, last: 10_000 }, controller.signal)).rejects.toMatchObject({ code: 'SOURCE_ABORTED' });
      expect(Date.now() - started).toBeLessThan(5_000);
    });
    // With one connection allowed, this only works if the aborted login gave its slot back.
    expect((await source.fetchRange({ first: 1, last: 10_000 })).length).toBe(UIDS.length);
    await source.close();
  });

  it('an abort ends a wait for a pooled connection held by a hung fetch', async () => {
    loadInbox();
    const source = plainSource(server, { socketTimeoutMs: 60_000, maxConnections: 1 });
    await source.open();
    const sessions = imapSessionPids(server);
    sessions.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    try {
      const holder = new AbortController();
      const hung = source.fetchRange({ first: 1, last: 10_000 }, holder.signal);
      const waiter = new AbortController();
      setTimeout(() => waiter.abort(), 300);
      await expect(source.fetchRange({ first: 1, last: 10 }, waiter.signal)).rejects.toMatchObject({ code: 'SOURCE_ABORTED' });
      holder.abort();
      await expect(hung).rejects.toMatchObject({ code: 'SOURCE_ABORTED' });
    } finally {
      sessions.forEach((pid) => process.kill(pid, 'SIGCONT'));
    }
    expect((await source.fetchRange({ first: 1, last: 10_000 })).length).toBe(UIDS.length);
    await source.close();
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('write-back (off by default)', () => {
  it('is refused when not asked for', async () => {
    loadInbox();
    const source = plainSource(server);
    await source.open();
    await expect(writeBackVerdicts(source, [{ key: 5, label: 'spam' }])).rejects.toBeInstanceOf(WriteBackError);
    await source.close();
  });

  it("'keywords' sets $Junk / $NotJunk and leaves \\Seen alone", async () => {
    loadInbox(4242, (uid) => (uid === 7 ? 'S' : ''));
    const source = plainSource(server, { writeBack: 'keywords' });
    await source.open();
    const result = await writeBackVerdicts(source, [
      { key: 5, label: 'spam' },
      { key: 6, label: 'ham' },
      { key: 7, label: 'spam' },
    ]);
    expect(result).toEqual({ mode: 'keywords', marked: 3, moved: 0 });
    await writeBackVerdicts(source, [{ key: 7, label: 'ham' }]); // a corrected verdict replaces the keyword
    await source.close();
    const client = await bareClient(server);
    await client.mailboxOpen('INBOX', { readOnly: true });
    const flags = new Map<number, string[]>();
    for await (const m of client.fetch('5:7', { uid: true, flags: true }, { uid: true })) flags.set(m.uid, [...(m.flags ?? [])].sort());
    await client.logout();
    expect(flags.get(5)).toEqual(['$Junk']);
    expect(flags.get(6)).toEqual(['$NotJunk']);
    expect(flags.get(7)).toEqual(['$NotJunk', '\\Seen']);
  });

  it("'move' moves spam to the \\Junk mailbox and keeps ham", async () => {
    loadInbox();
    loadMailbox(server, { user: USER, mailbox: 'Junk', uidValidity: 99, messages: [] });
    const source = plainSource(server, { writeBack: 'move' });
    await source.open();
    const result = await writeBackVerdicts(source, [
      { key: 20, label: 'spam' },
      { key: 27, label: 'spam' },
      { key: 34, label: 'ham' },
    ]);
    expect(result).toEqual({ mode: 'move', marked: 0, moved: 2, junkMailbox: 'Junk' });
    const left = await source.listKeys();
    await source.close();
    expect(left).not.toContain(20);
    expect(left).toContain(34);
    const junk = plainSource(server, {}, 'Junk');
    await junk.open();
    const moved = await junk.fetchRange({ first: 1, last: 100 });
    await junk.close();
    expect(moved.map((m) => m.raw.toString())).toEqual([20, 27].map((u) => canonicalRaw(BODY(u)).toString()));
    // A Junk mailbox that does not exist is an error naming it, not a silent no-op, and nothing moves.
    const nowhere = plainSource(server, { writeBack: 'move', junkMailbox: 'NoSuchBox' });
    await nowhere.open();
    await expect(writeBackVerdicts(nowhere, [{ key: 34, label: 'spam' }])).rejects.toThrow(/the Junk mailbox "NoSuchBox" given by --junk-mailbox does not exist/);
    expect(await nowhere.listKeys()).toContain(34);
    await nowhere.close();
  });
});

describe('authentication', () => {
  // Last: Dovecot delays the next logins from an address after a failed one (auth penalty).
  it('a wrong password gives ImapAuthError naming the user, never the password', async () => {
    const source = new ImapSource({
      url: `imap://${USER}@127.0.0.1:${server.imapPort}/INBOX`, password: new Secret('wrong-password-123'), allowPlaintext: true,
    });
    const error = (await source.open().then(() => undefined, (e: unknown) => e)) as ImapAuthError;
    expect(error).toBeInstanceOf(ImapAuthError);
    expect(error.code).toBe('IMAP_AUTH_FAILED');
    expect(error.message).toContain(`"${USER}"`);
    expect(error.message).toContain('SPAMZK_IMAP_PASSWORD');
    expect(error.message).not.toContain('wrong-password-123');
    await expect(source.listKeys()).rejects.toBeInstanceOf(SourceStateError);
  });
});
