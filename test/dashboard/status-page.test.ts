/**
 * `spamzk status --serve` in a real browser (Debian's Chromium, headless):
 * the page follows a real replay live from ZooKeeper watches, shows several
 * jobs, and the server answers on 127.0.0.1 only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { Processor } from '../../src/coordination/index.js';
import { encodeBatchResult } from '../../src/pipeline/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { tempDirs } from '../support/temp-dirs.js';
import { eventually } from '../coordination/helpers.js';
import { runCli, TEST_SPLIT } from '../pipeline/harness.js';
import { keepScreenshot, openBrowser, startStatusPage, type Browser, type StatusPageProcess } from './browser.js';

const EML_SAMPLE = fileURLToPath(new URL('../../fixtures/eml/sample', import.meta.url));
const MBOX_SAMPLE = fileURLToPath(new URL('../../fixtures/mbox/sample.mbox', import.meta.url));

const temp = tempDirs();
let zk: ZooKeeperCluster;
let browser: Browser;
const pages: StatusPageProcess[] = [];

beforeAll(async () => {
  [zk, browser] = await Promise.all([startZooKeeper({ nodes: 1, baseDir: temp.make('spamzk-dashboard-zk-') }), openBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all(pages.map((p) => p.stop()));
  await zk?.stop();
  temp.removeAll();
});

async function serve(root: string): Promise<StatusPageProcess> {
  const p = await startStatusPage(zk.connectString, root);
  pages.push(p);
  return p;
}

function replay(fixture: string, root: string, batchSize: number, processors = 2) {
  return runCli(['replay', fixture, '--zk', zk.connectString, '--zk-root', root, '--processors', String(processors), '--batch-size', String(batchSize), '--json', '--report-dir', temp.make('spamzk-dashboard-report-')]);
}

/** Runs in the page: records the grid's counts at every re-render, so the test misses no update between its polls. */
const RECORD_GRID_SAMPLES = `
  window.gridSamples = [];
  const grid = document.getElementById('grid');
  new MutationObserver(() => window.gridSamples.push({
    done: Number(grid.dataset.done),
    claimed: Number(grid.dataset.claimed),
    cellsDone: grid.querySelectorAll('.cell[data-state="done"]').length,
  })).observe(grid, { attributes: true, attributeFilter: ['data-done', 'data-claimed'] });
`;

interface GridSample {
  done: number;
  claimed: number;
  cellsDone: number;
}

describe('status page', () => {
  it('shows the grid filling in live while a replay commits its batches, and ends with every batch done', async () => {
    const root = '/dash-live';
    const server = await serve(root);
    const { page } = browser;
    await page.goto(server.url);
    await page.locator('#conn[data-state="live"]').waitFor({ timeout: 10_000 });
    await expect(page.locator('#no-jobs').isVisible()).resolves.toBe(true);
    // Every re-render of the grid is recorded in the page, so no update is missed between two polls of the test.
    await page.evaluate(RECORD_GRID_SAMPLES);
    const run = replay(TEST_SPLIT, root, 25); // 1241 messages: 50 batches
    // Mid-replay: some batches done, not all.
    await eventually('the page shows a replay half way', async () => {
      const done = Number(await page.locator('#grid').getAttribute('data-done'));
      return done >= 10 && done < 50;
    }, 60_000, 20);
    await keepScreenshot(page, 'status-page-mid-replay.png');
    const result = await run;
    expect(result.code, result.stderr).toBe(0);

    await page.locator('#grid[data-done="50"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#grid .cell').count()).toBe(50);
    expect(await page.locator('#grid .cell[data-state="done"]').count()).toBe(50);
    const samples = (await page.evaluate('window.gridSamples')) as GridSample[];
    const doneCounts = samples.map((s) => s.done);
    // The count of done cells rose step by step as batches committed, never fell, and ended at the batch count.
    expect(doneCounts.every((d, i) => i === 0 || d >= doneCounts[i - 1]!)).toBe(true);
    expect(new Set(doneCounts.filter((d) => d > 0 && d < 50)).size).toBeGreaterThanOrEqual(2);
    expect(doneCounts.at(-1)).toBe(50);
    expect(samples.every((s) => s.cellsDone === s.done)).toBe(true);
    expect(await page.locator('#n-messages').textContent()).toBe('1241');
    expect(Number(await page.locator('#chart').getAttribute('data-points'))).toBeGreaterThan(0);
    await expect(page.locator('#job-title').textContent()).resolves.toMatch(/complete/);
    const shot = await keepScreenshot(page, 'status-page-complete.png');
    expect(statSync(shot).size).toBeGreaterThan(10_000);
  });

  it('shows a batch in hand as claimed, its processor with the claim\'s age rising, then the batch as done', async () => {
    const root = '/dash-claim';
    const server = await serve(root);
    const { page } = browser;
    await page.goto(server.url);
    const gate = deferred();
    const processor = new Processor({ connectString: zk.connectString, root, processorId: 'slow.worker', staleAfterMs: 60_000, heartbeatIntervalMs: 100 });
    const spec = { jobId: 'job-claim-demo', sourceId: 'test:claims', modelId: 'test-model', batchSize: 1 };
    const plan = () => [1, 2, 3].map((key, index) => ({ index, first: key, last: key, count: 1 }));
    const running = processor.run({ spec, plan }, async (batch, ctx) => {
      // Heartbeats closer than heartbeatIntervalMs to the claim are merged into it: beat until released.
      let released = false;
      void gate.promise.then(() => (released = true));
      while (!released) {
        await ctx.heartbeat('working on it');
        await new Promise((r) => setTimeout(r, 150));
      }
      const messages = [{ key: batch.first, verdict: 'ham' as const, score: 0.1 }];
      return encodeBatchResult({ messages, fetchMs: 1, classifyMs: 1, stallMs: 0 });
    });
    try {
      await page.locator('#grid[data-job="job-claim-demo"][data-claimed="1"]').waitFor({ timeout: 15_000 });
      expect(await page.locator('#grid .cell[data-state="claimed"]').count()).toBe(1);
      const row = page.locator('#procs tr', { hasText: 'slow.worker' });
      await row.locator('td', { hasText: 'working on it' }).waitFor({ timeout: 10_000 });
      expect(await row.locator('td').nth(3).textContent()).toMatch(/^batch \d \(attempt 1\)$/);
      const ageOf = async () => Number.parseFloat((await row.locator('td.age').textContent()) ?? 'NaN');
      const firstAge = await ageOf();
      await eventually('the claim age rises', async () => (await ageOf()) >= firstAge + 1, 5_000, 100);
      await keepScreenshot(page, 'status-page-claimed.png');
      gate.resolve();
      await page.locator('#grid[data-job="job-claim-demo"][data-done="3"]').waitFor({ timeout: 15_000 });
      expect(await page.locator('#grid .cell[data-state="claimed"]').count()).toBe(0);
    } finally {
      gate.resolve();
      await running;
    }
  });

  it('shows a reclaim and the stuck processor\'s fenced commit as they happen', async () => {
    const root = '/dash-reclaim';
    const server = await serve(root);
    const { page } = browser;
    await page.goto(server.url);
    const opts = { connectString: zk.connectString, root, sessionTimeoutMs: 4_000, staleAfterMs: 1_000 };
    const spec = { jobId: 'job-reclaim-demo', sourceId: 'test:reclaim', modelId: 'test-model', batchSize: 1 };
    const result = (processor: string, key: number) => encodeBatchResult({ messages: [{ key, verdict: 'spam', score: 0.9 }], fetchMs: 1, classifyMs: 1, stallMs: 0 });
    const stuck = new Processor({ ...opts, processorId: 'stuck' });
    let stuckBatch = -1;
    const stuckRun = stuck.run({ spec, plan: () => [1, 2].map((key, index) => ({ index, first: key, last: key, count: 1 })) }, async (b, ctx) => {
      if (stuckBatch === -1) {
        stuckBatch = b.index;
        await new Promise((r) => setTimeout(r, 3_500)); // silent past staleAfter: reclaimed meanwhile
      }
      return result(ctx.processorId, b.first);
    });
    await eventually('the stuck processor holds a batch', () => stuckBatch >= 0, 10_000);
    const helper = new Processor({ ...opts, processorId: 'helper' });
    const [a, b] = await Promise.all([stuckRun, helper.run({ spec }, async (batch, ctx) => result(ctx.processorId, batch.first))]);
    expect(b.reclaimed).toBe(1);
    expect(a.fenced).toBe(1);
    await page.locator('#grid[data-job="job-reclaim-demo"][data-done="2"]').waitFor({ timeout: 10_000 });
    await eventually('the page counts the reclaim and the fenced commit', async () =>
      (await page.locator('#n-reclaims').textContent()) === '1' && (await page.locator('#n-fenced').textContent()) === '1', 10_000);
    const events = await page.locator('#events li').allTextContents();
    expect(events).toHaveLength(2);
    expect(events.some((e) => new RegExp(`reclaimed batch ${stuckBatch} by helper \\(from stuck\\)`).test(e))).toBe(true);
    expect(events.some((e) => new RegExp(`fenced batch ${stuckBatch} by stuck`).test(e))).toBe(true);
    await keepScreenshot(page, 'status-page-reclaim.png');
  });

  it('lists two jobs, and shows each one\'s own grid when picked', async () => {
    const root = '/dash-two';
    const [a, b] = [await replay(EML_SAMPLE, root, 2), await replay(MBOX_SAMPLE, root, 1)];
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const status = await runCli(['status', '--zk', zk.connectString, '--zk-root', root, '--json']);
    const jobs = JSON.parse(status.stdout) as { jobId: string; batchCount: number }[];
    expect(jobs.map((j) => j.batchCount).sort()).toEqual([2, 4]);
    // The text view prints the same snapshot.
    const small = jobs.find((j) => j.batchCount === 2)!;
    const text = await runCli(['status', '--zk', zk.connectString, '--zk-root', root, '--job', small.jobId]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`JOB ${small.jobId}  COMPLETE`);
    expect(text.stdout).toContain('batches  2: done 2, claimed 0, pending 0, quarantined 0');
    expect(text.stdout).toContain('messages 4 committed');

    const server = await serve(root);
    const { page } = browser;
    await page.goto(server.url);
    await page.locator('#jobs button').nth(1).waitFor({ timeout: 10_000 });
    expect(await page.locator('#jobs button').count()).toBe(2);
    for (const job of jobs) {
      await page.locator(`#jobs button[data-job="${job.jobId}"]`).click();
      await page.locator(`#grid[data-job="${job.jobId}"][data-done="${job.batchCount}"]`).waitFor({ timeout: 10_000 });
      expect(await page.locator('#grid .cell').count()).toBe(job.batchCount);
      expect(await page.locator(`#jobs button[data-job="${job.jobId}"]`).getAttribute('aria-current')).toBe('true');
    }
    // A link names the job it shows.
    await page.goto(`${server.url}#job=${jobs[0]!.jobId}`);
    await page.locator(`#grid[data-job="${jobs[0]!.jobId}"]`).waitFor({ timeout: 10_000 });
    await keepScreenshot(page, 'status-page-two-jobs.png');
  });

  it('listens on 127.0.0.1 only and refuses a foreign Host header', async () => {
    const server = await serve('/dash-bind');
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(listeningAddresses(server.port)).toEqual(['127.0.0.1']);
    // Another loopback address of this machine: nothing listens there.
    await expect(tryConnect('127.0.0.2', server.port)).resolves.toBe('ECONNREFUSED');
    await expect(tryConnect('127.0.0.1', server.port)).resolves.toBe('connected');
    expect(await get(server.port, '/', '127.0.0.1')).toBe(200);
    expect(await get(server.port, '/', 'attacker.example')).toBe(421);
    // SIGTERM stops it cleanly: the server, the watches and the session leave nothing running.
    expect(await server.stop()).toBe(0);
  });

  it('a bad --port exits 2 before serving', async () => {
    const r = await runCli(['status', '--serve', '--port', '70000', '--zk', zk.connectString]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--port must be an integer from 0 to 65535/);
  });
});

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Local addresses of the TCP sockets listening on `port` (from /proc/net/tcp and tcp6). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (!local || state !== '0A') continue; // 0A = LISTEN
      const [addr, p] = local.split(':');
      if (p !== hexPort) continue;
      out.push(addr!.length === 8 ? addr!.match(/../g)!.reverse().map((h) => parseInt(h, 16)).join('.') : `ipv6:${addr}`);
    }
  }
  return out;
}

function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

function get(port: number, path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: `${host}:${port}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}
