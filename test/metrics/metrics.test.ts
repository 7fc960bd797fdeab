/**
 * Prometheus metrics against a real ZooKeeper: what /metrics says a job did
 * must be what the job's records in ZooKeeper say it did. Two processors run
 * in this process (runProcessor, each with its own registry and server), and
 * then the real CLI serves them from its own processes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { useZooKeeper } from '../support/zookeeper.js';
import { ProcessorMetrics, serveMetrics, type MetricsServer } from '../../src/metrics/index.js';
import { gatherReportInput, runProcessor, type Logger, type ProcessorSettings } from '../../src/pipeline/index.js';
import { buildReport } from '../../src/report/index.js';
import { freePorts } from '../../src/servers/process.js';
import { childOrderEnv, ChildProtocolError, readChildOrder } from '../../src/pipeline/child-protocol.js';
import { tempDirs } from '../support/temp-dirs.js';
import { runCli, TEST_SPLIT } from '../pipeline/harness.js';

const temp = tempDirs();
afterAll(() => temp.removeAll());
const zoo = useZooKeeper({ prefix: 'spamzk-metrics-zk-' });

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** The one value of `name` whose labels include `where`. */
function valueOf(samples: Sample[], name: string, where: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(where)}`);
  return found[0]!.value;
}

async function scrape(url: string): Promise<{ status: number; samples: Sample[] }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, samples: res.status === 200 ? parseExposition(text) : [] };
}

const quietLog: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quietLog };

function settings(root: string, batchSize: number): ProcessorSettings {
  return {
    source: TEST_SPLIT,
    connectString: zoo.zk.connectString,
    zkRoot: root,
    model: undefined,
    batchSize,
    sessionTimeoutMs: 10_000,
    staleAfterMs: 60_000,
    maxAttempts: 3,
    imapPasswordFile: undefined,
    caFile: undefined,
    insecure: false,
    writeBack: 'off',
  };
}

describe('Prometheus metrics of processors', () => {
  it("two processors' counters add up to the job's records: batches committed, messages by verdict, stage latencies", async () => {
    const root = '/metrics-in-process';
    const fleet: { metrics: ProcessorMetrics; server: MetricsServer }[] = [];
    for (let i = 0; i < 2; i++) {
      const metrics = new ProcessorMetrics();
      fleet.push({ metrics, server: await serveMetrics(metrics, { port: 0 }) });
    }
    try {
      expect((await scrape(fleet[0]!.server.url)).status).toBe(503); // no job yet: no unlabelled series
      const summaries = await Promise.all(fleet.map(({ metrics }) => runProcessor({ settings: settings(root, 100), log: quietLog, metrics })));
      const jobId = summaries[0]!.jobId;
      const report = buildReport(await gatherReportInput(zoo.session, root, jobId));
      const scraped = await Promise.all(fleet.map(({ server }) => scrape(server.url)));

      let committed = 0;
      const verdicts = { spam: 0, ham: 0, unsure: 0, failed: 0 };
      scraped.forEach(({ status, samples }, i) => {
        expect(status).toBe(200);
        const me = { job: jobId, processor: summaries[i]!.processorId };
        const mine = valueOf(samples, 'spamzk_batches_committed_total', me);
        expect(mine).toBe(summaries[i]!.committed);
        committed += mine;
        expect(valueOf(samples, 'spamzk_batches_claimed_total', me)).toBe(summaries[i]!.committed + summaries[i]!.failed + summaries[i]!.fenced + summaries[i]!.released);
        for (const name of ['fenced', 'reclaimed', 'quarantined']) expect(valueOf(samples, `spamzk_batches_${name}_total`, me)).toBe(0);
        for (const v of Object.keys(verdicts) as (keyof typeof verdicts)[]) verdicts[v] += valueOf(samples, 'spamzk_messages_total', { ...me, verdict: v });
        for (const stage of ['fetch', 'classify', 'commit']) expect(valueOf(samples, `spamzk_${stage}_seconds_count`, me)).toBe(mine);
        expect(valueOf(samples, 'spamzk_session_state', me)).toBe(1);
        expect(valueOf(samples, 'spamzk_model_info', { ...me, model_id: report.job.modelId })).toBe(1);
      });
      expect(committed).toBe(report.job.batches);
      expect(committed).toBe(13);
      expect(verdicts).toEqual({ spam: report.totals.spam, ham: report.totals.ham, unsure: report.totals.unsure, failed: report.totals.failed });
      expect(verdicts.spam + verdicts.ham + verdicts.unsure + verdicts.failed).toBe(1241);
    } finally {
      await Promise.all(fleet.map(({ server }) => server.close()));
    }
  }, 120_000);

  it('`spamzk processor --metrics-port` serves each process\'s own counters on 127.0.0.1 while the job runs', async () => {
    const root = '/metrics-cli-processor';
    const ports = await freePorts(2);
    const runs = ports.map((port) =>
      runCli(['processor', TEST_SPLIT, '--zk', zoo.zk.connectString, '--zk-root', root, '--batch-size', '10', '--metrics-port', String(port), '--log-level', 'info']),
    );
    let ended = false;
    void Promise.all(runs).then(() => (ended = true));
    // The last good scrape of each process, while it runs.
    const last = new Map<number, Sample[]>();
    while (!ended) {
      await Promise.all(
        ports.map(async (port) => {
          const got = await scrape(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
          if (got?.status === 200) last.set(port, got.samples);
        }),
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    const results = await Promise.all(runs);
    const summaries = results.map((r) => {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`"url":"http://127.0.0.1:`);
      return JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('spamzk-processor-summary '))!.slice('spamzk-processor-summary '.length)) as {
        jobId: string;
        processorId: string;
        committed: number;
        batchCount: number;
      };
    });
    expect(summaries[0]!.committed + summaries[1]!.committed).toBe(summaries[0]!.batchCount);
    expect(last.size).toBe(2);
    ports.forEach((port, i) => {
      const me = { job: summaries[i]!.jobId, processor: summaries[i]!.processorId };
      // Scraped before the end: never more than the process finally reported.
      const seen = valueOf(last.get(port)!, 'spamzk_batches_committed_total', me);
      expect(seen).toBeLessThanOrEqual(summaries[i]!.committed);
    });
  }, 120_000);

  it('`spamzk replay --metrics-port P` gives local processor k the port P + k', async () => {
    const [port] = await freePorts(1);
    const run = runCli(['replay', TEST_SPLIT, '--zk', zoo.zk.connectString, '--zk-root', '/metrics-cli-replay', '--processors', '2', '--batch-size', '10',
      '--metrics-port', String(port), '--json', '--report-dir', temp.make('spamzk-metrics-report-')]);
    let ended = false;
    void run.then(() => (ended = true));
    const processors = new Map<number, string>();
    while (!ended && processors.size < 2) {
      for (const p of [port!, port! + 1]) {
        const got = await scrape(`http://127.0.0.1:${p}/metrics`).catch(() => undefined);
        const sample = got?.samples.find((x) => x.name === 'spamzk_batches_committed_total');
        if (sample) processors.set(p, sample.labels.processor!);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await run;
    expect(result.code, result.stderr).toBe(0);
    expect([...processors.keys()].sort()).toEqual([port, port! + 1]);
    expect(new Set(processors.values()).size).toBe(2);
  }, 120_000);

  it('a bad metrics flag, or a port already in use, exits 2 naming it', async () => {
    const host = await runCli(['processor', TEST_SPLIT, '--zk', zoo.zk.connectString, '--metrics-port', '9464', '--metrics-host', 'metrics.example']);
    expect(host.code).toBe(2);
    expect(host.stderr).toContain('--metrics-host: "metrics.example" is not an IP address');
    const port = await runCli(['replay', TEST_SPLIT, '--zk', zoo.zk.connectString, '--metrics-port', '70000']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('--metrics-port: 70000 is outside 1..65535');
    const env = await runCli(['replay', TEST_SPLIT, '--zk', zoo.zk.connectString], { SPAMZK_IMAP_MAX_CONNECTIONS: '0' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('SPAMZK_IMAP_MAX_CONNECTIONS: 0 is outside 1..1000');

    const metrics = new ProcessorMetrics({ processMetrics: false });
    const taken = await serveMetrics(metrics, { port: 0 });
    try {
      const busy = await runCli(['processor', TEST_SPLIT, '--zk', zoo.zk.connectString, '--zk-root', '/metrics-busy', '--metrics-port', String(taken.port)]);
      expect(busy.code).toBe(2);
      expect(busy.stderr).toContain(`metrics port 127.0.0.1:${taken.port} is in use`);
    } finally {
      await taken.close();
    }
  }, 120_000);

  it("a child's order carries its own metrics endpoint and the IMAP cap, and a bad one is refused naming the field", () => {
    const order = { settings: { ...settings('/x', 10), imapMaxConnections: 4 }, jobId: 'job-1', logLevel: 'info' as const, metrics: { host: '127.0.0.1', port: 9465 } };
    expect(readChildOrder(childOrderEnv(order))).toEqual(order);
    const env = childOrderEnv(order);
    const raw = JSON.parse(env.SPAMZK_CHILD_ORDER!) as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>): NodeJS.ProcessEnv => ({ SPAMZK_CHILD_ORDER: JSON.stringify({ ...raw, ...patch }) });
    expect(() => readChildOrder(bad({ metrics: { host: '127.0.0.1', port: 70_000 } }))).toThrow(/metrics\.port must be a TCP port/);
    expect(() => readChildOrder(bad({ metrics: { port: 9465 } }))).toThrow(ChildProtocolError);
    expect(() => readChildOrder(bad({ settings: { ...order.settings, imapMaxConnections: 0 } }))).toThrow(/settings\.imapMaxConnections must be a whole number/);
  });
});
