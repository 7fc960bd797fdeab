/**
 * What Prometheus metrics cost a processor, per batch, against the batch's own
 * time: one real processor (runProcessor) classifies the SpamAssassin TEST
 * split from its fixture mailbox on a private standalone ZooKeeper, with a
 * ProcessorMetrics attached. Every metric update of a batch is timed where it
 * happens (the event listeners and batchWorked, plus the verdict count the
 * pipeline makes for them), and printed beside the batch's wall time (claim +
 * work + commit, from the processor's own committed event). A scrape (the
 * text exposition of the registry) is timed too: it runs when Prometheus asks,
 * typically every 15 s, not per batch.
 *
 *   npx tsx scripts/bench-metrics.ts [--batch-size 250] [--runs 3]
 */
import { performance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countVerdicts, ProcessorMetrics, type BatchWork, type ProcessorEventSource } from '../src/metrics/index.js';
import { runProcessor, type Logger } from '../src/pipeline/index.js';
import { startZooKeeper } from '../src/servers/zookeeper.js';
import { PACKAGE_ROOT } from '../src/shared/index.js';
import { markdownTable } from './markdown-table.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const BATCH_SIZE = arg('batch-size', 250);
const RUNS = arg('runs', 3);
const FIXTURE = join(PACKAGE_ROOT, 'fixtures', 'generated', 'spamassassin-test');

/** A ProcessorMetrics that times every update it makes. */
class TimedMetrics extends ProcessorMetrics {
  updateMs = 0;
  readonly batchWallMs: number[] = [];

  override watch(processor: ProcessorEventSource): void {
    const timed: ProcessorEventSource = {
      on: (event, listener) =>
        processor.on(event, (...payload) => {
          const start = performance.now();
          listener(...payload);
          this.updateMs += performance.now() - start;
        }),
    };
    super.watch(timed);
    processor.on('committed', (e) => this.batchWallMs.push(e.claimMs + e.workMs + e.commitMs));
  }

  override batchWorked(batch: number, claimSeq: number, work: BatchWork): void {
    const start = performance.now();
    super.batchWorked(batch, claimSeq, work);
    this.updateMs += performance.now() - start;
  }
}

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => quiet };

/** The verdict count the pipeline makes for the metrics, per batch of `size` messages (µs). */
function verdictCountMs(size: number): number {
  const verdicts = ['spam', 'ham', 'unsure', 'failed'] as const;
  const messages = Array.from({ length: size }, (_, i) => ({ verdict: verdicts[i % 3]! }));
  const rounds = 20_000;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) countVerdicts(messages);
  return (performance.now() - start) / rounds;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'spamzk-bench-metrics-'));
  const zk = await startZooKeeper({ nodes: 1, baseDir: dir });
  const rows: string[][] = [];
  try {
    const countMs = verdictCountMs(BATCH_SIZE);
    for (let run = 0; run < RUNS; run++) {
      const metrics = new TimedMetrics();
      const summary = await runProcessor({
        settings: {
          source: FIXTURE,
          connectString: zk.connectString,
          zkRoot: `/bench-metrics-${run}`,
          model: undefined,
          batchSize: BATCH_SIZE,
          sessionTimeoutMs: 10_000,
          staleAfterMs: 60_000,
          maxAttempts: 3,
          imapPasswordFile: undefined,
          caFile: undefined,
          insecure: false,
          writeBack: 'off',
        },
        log: quiet,
        metrics,
      });
      const scrapeStart = performance.now();
      await metrics.text();
      const scrapeMs = performance.now() - scrapeStart;
      const batches = summary.committed;
      const perBatchMetricsMs = metrics.updateMs / batches + countMs;
      const wall = [...metrics.batchWallMs].sort((a, b) => a - b);
      const meanWall = wall.reduce((a, b) => a + b, 0) / wall.length;
      rows.push([
        String(run + 1),
        String(batches),
        `${meanWall.toFixed(1)} ms (p50 ${wall[Math.floor(wall.length / 2)]!.toFixed(1)})`,
        `${(perBatchMetricsMs * 1000).toFixed(1)} µs`,
        `${((100 * perBatchMetricsMs) / meanWall).toFixed(4)}%`,
        `${scrapeMs.toFixed(2)} ms`,
      ]);
    }
  } finally {
    await zk.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`Metrics cost per batch: one processor, the TEST split (1241 messages), batches of ${BATCH_SIZE}, standalone ZooKeeper, shipped model\n`);
  console.log(markdownTable(['run', 'batches', 'batch wall time (mean)', 'metric updates per batch', 'share of the batch', 'one scrape (not per batch)'], rows));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
