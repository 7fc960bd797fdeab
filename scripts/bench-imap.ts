/**
 * Fetch throughput of our IMAP source layer against a bare imapflow loop, same
 * mailbox, same run:  npx tsx scripts/bench-imap.ts [--rounds N] [--range N] [--passes N]
 *
 * Loads the SpamAssassin TEST split (1241 messages) into a private Dovecot on
 * 127.0.0.1, then fetches every message in UID ranges (default 250) with 1 and
 * 4 connections, through ImapSource.fetchRange and through a bare
 * `for await (client.fetch(range, {source: true}))` loop; a timed round fetches
 * the mailbox 4 times (--passes). Plain loopback IMAP
 * (no TLS), so the figures show our layer's cost, not the cipher's. Our rate
 * limiter is set to unlimited: a request rate is a policy, not an overhead.
 * Each configuration runs one untimed warm-up round (connections opened) and
 * then N timed rounds (default 15, interleaved in alternating order); the
 * median and the best round are reported (the best is the least disturbed by
 * other load on a shared machine).
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { loadMailbox, startDovecot, stopDovecot } from '../src/servers/dovecot.js';
import { FixtureSource, ImapSource, Secret, type KeyRange } from '../src/sources/index.js';
import { buildCorpusFixture } from './build-corpus-fixture.js';

const USER = 'bench';
const PASSWORD = 'bench-password';

interface Fetcher {
  readonly name: string;
  readonly connections: number;
  round(ranges: KeyRange[]): Promise<{ messages: number; bytes: number }>;
  close(): Promise<void>;
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function bareFetcher(port: number, connections: number): Promise<Fetcher> {
  const clients: ImapFlow[] = [];
  for (let i = 0; i < connections; i++) {
    const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user: USER, pass: PASSWORD }, logger: false, disableAutoIdle: true });
    client.on('error', () => undefined);
    await client.connect();
    await client.mailboxOpen('INBOX', { readOnly: true });
    clients.push(client);
  }
  return {
    name: 'bare imapflow loop',
    connections,
    async round(ranges) {
      // Each client takes the next range when it is done with one: the same work sharing as our pool.
      // Like a job, the round keeps every batch it fetched until the end.
      const batches: Buffer[][] = [];
      let next = 0;
      await Promise.all(
        clients.map(async (client) => {
          for (let i = next++; i < ranges.length; i = next++) {
            const range = ranges[i] as KeyRange;
            const got: Buffer[] = [];
            for await (const msg of client.fetch(`${range.first}:${range.last}`, { uid: true, source: true }, { uid: true })) {
              if (msg.source) got.push(msg.source);
            }
            batches[i] = got;
          }
        }),
      );
      let messages = 0;
      let bytes = 0;
      for (const batch of batches) {
        messages += batch.length;
        for (const b of batch) bytes += b.length;
      }
      return { messages, bytes };
    },
    async close() {
      for (const c of clients) await c.logout();
    },
  };
}

async function layerFetcher(port: number, connections: number): Promise<Fetcher> {
  const source = new ImapSource({
    url: `imap://${USER}@127.0.0.1:${port}/INBOX`,
    password: new Secret(PASSWORD),
    allowPlaintext: true,
    maxConnections: connections,
    requestsPerSecond: 0,
  });
  await source.open();
  return {
    name: 'spamzk ImapSource',
    connections,
    async round(ranges) {
      const batches = await Promise.all(ranges.map((r) => source.fetchRange(r)));
      let messages = 0;
      let bytes = 0;
      for (const batch of batches) {
        messages += batch.length;
        for (const m of batch) bytes += m.raw.length;
      }
      return { messages, bytes };
    },
    close: () => source.close(),
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const rounds = option('--rounds', 15);
  const rangeSize = option('--range', 250);
  const passes = option('--passes', 4);
  const work = mkdtempSync(join(tmpdir(), 'spamzk-bench-imap-'));
  chmodSync(work, 0o711); // Dovecot's unprivileged processes must reach the server folder inside it

  const fixtureDir = join(work, 'sa-test');
  buildCorpusFixture({ out: fixtureDir });
  const fixture = new FixtureSource(fixtureDir);
  await fixture.open();
  const keys = await fixture.listKeys();
  const messages = await fixture.fetchRange({ first: 1, last: keys.length });
  await fixture.close();

  const server = await startDovecot({ dir: join(work, 'dovecot'), users: [{ name: USER, password: PASSWORD }] });
  try {
    const loadStart = performance.now();
    loadMailbox(server, { user: USER, uidValidity: 1, messages: messages.map((m) => ({ uid: m.key, raw: m.raw })) });
    const totalBytes = messages.reduce((n, m) => n + m.raw.length, 0);
    // A round fetches the mailbox `passes` times, so that one round lasts long enough to time well.
    const ranges: KeyRange[] = [];
    for (let pass = 0; pass < passes; pass++) {
      for (let first = 1; first <= keys.length; first += rangeSize) ranges.push({ first, last: first + rangeSize - 1 });
    }
    const perRound = messages.length * passes;
    process.stdout.write(
      `bench-imap: ${messages.length} messages (${(totalBytes / 1e6).toFixed(1)} MB) loaded into Dovecot in ${(performance.now() - loadStart).toFixed(0)} ms; ` +
        `a round = ${passes} passes over the mailbox in UID ranges of ${rangeSize} (${ranges.length} fetches); ${rounds} timed rounds each; node ${process.version}\n\n`,
    );

    const fetchers: Fetcher[] = [];
    for (const n of [1, 4]) fetchers.push(await bareFetcher(server.imapPort, n), await layerFetcher(server.imapPort, n));
    const times = new Map<Fetcher, number[]>(fetchers.map((f) => [f, []]));
    let bytesPerRound = 0;
    for (const f of fetchers) {
      const warm = await f.round(ranges);
      if (warm.messages !== perRound) throw new Error(`${f.name} fetched ${warm.messages} of ${perRound} messages`);
      bytesPerRound = warm.bytes;
    }
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? fetchers : [...fetchers].reverse();
      for (const f of order) {
        const start = performance.now();
        const got = await f.round(ranges);
        (times.get(f) as number[]).push(performance.now() - start);
        if (got.messages !== perRound) throw new Error(`${f.name} fetched ${got.messages} of ${perRound} messages`);
      }
    }
    for (const f of fetchers) await f.close();

    const rows: string[][] = [['connections', 'fetcher', 'median ms', 'msgs/s', 'MB/s', 'vs bare', 'best ms', 'best msgs/s', 'best vs bare']];
    const pct = (ms: number, bare: number): string => `${ms >= bare ? '+' : ''}${(((ms - bare) / bare) * 100).toFixed(1)}%`;
    for (const n of [1, 4]) {
      const bareTimes = times.get(fetchers.find((f) => f.connections === n && f.name.startsWith('bare')) as Fetcher) as number[];
      for (const f of fetchers.filter((x) => x.connections === n)) {
        const ms = median(times.get(f) as number[]);
        const best = Math.min(...(times.get(f) as number[]));
        const isBare = f.name.startsWith('bare');
        rows.push([
          String(n), f.name, ms.toFixed(1), (perRound / (ms / 1000)).toFixed(0), (bytesPerRound / 1e6 / (ms / 1000)).toFixed(1),
          isBare ? '' : pct(ms, median(bareTimes)), best.toFixed(1), (perRound / (best / 1000)).toFixed(0), isBare ? '' : pct(best, Math.min(...bareTimes)),
        ]);
      }
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] as string).length)));
    for (const row of rows) process.stdout.write(row.map((cell, c) => cell.padEnd(widths[c] as number)).join('  ') + '\n');
    process.stdout.write('\n"vs bare": extra time of our layer over the bare loop on the same connections (target: at most +10%).\n');
  } finally {
    await stopDovecot(server);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench-imap: ${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
