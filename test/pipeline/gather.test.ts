/**
 * From done markers in a real ZooKeeper to the report's integrity checks: a
 * batch whose committed result holds fewer verdicts than its plan counted
 * must fail `outcomes-match-commits`. (Before, the commit's count was taken
 * from the result itself, so the check compared a list with its own length.)
 */
import { describe, expect, it } from 'vitest';
import { useZooKeeper } from '../support/zookeeper.js';
import { Processor, type Batch } from '../../src/coordination/index.js';
import { encodeBatchResult, gatherReportInput } from '../../src/pipeline/index.js';
import { buildReport, type MessageVerdict } from '../../src/report/index.js';

const ROOT = '/gather-test';
const zoo = useZooKeeper({ nodes: 1, prefix: 'spamzk-gather-zk-' });

/** Three batches of four keys each (1–4, 5–8, 9–12). */
const PLAN: Batch[] = [0, 1, 2].map((index) => ({ index, first: index * 4 + 1, last: index * 4 + 4, count: 4 }));

function verdicts(batch: Batch, drop: ReadonlySet<number> = new Set()): MessageVerdict[] {
  const out: MessageVerdict[] = [];
  for (let key = batch.first; key <= batch.last; key++) if (!drop.has(key)) out.push({ key, verdict: 'ham', score: 0.1 });
  return out;
}

async function runJob(jobId: string, dropFromBatch1: ReadonlySet<number>): Promise<void> {
  const processor = new Processor({ connectString: zoo.zk.connectString, root: ROOT, processorId: `p.${jobId.replaceAll("-", "_")}`, sessionTimeoutMs: 4_000 });
  const summary = await processor.run(
    { spec: { jobId, sourceId: 'test', modelId: 'none', batchSize: 4 }, plan: async () => PLAN },
    async (batch) => encodeBatchResult({ messages: verdicts(batch, batch.index === 1 ? dropFromBatch1 : new Set()), fetchMs: 1, classifyMs: 1, stallMs: 0 }),
  );
  expect(summary.complete).toBe(true);
}

describe('report input gathered from done markers', () => {
  it('passes outcomes-match-commits when every batch holds as many verdicts as its plan counted', async () => {
    await runJob('complete-batches', new Set());
    const report = buildReport(await gatherReportInput(zoo.session, ROOT, 'complete-batches'));
    const check = report.integrity.checks.find((c) => c.name === 'outcomes-match-commits');
    expect(check).toMatchObject({ status: 'pass' });
    expect(report.commits.map((c) => c.messages)).toEqual([4, 4, 4]);
  }, 60_000);

  it('fails outcomes-match-commits when a committed batch holds fewer verdicts than its plan counted', async () => {
    await runJob('short-batch', new Set([6]));
    const report = buildReport(await gatherReportInput(zoo.session, ROOT, 'short-batch'));
    const check = report.integrity.checks.find((c) => c.name === 'outcomes-match-commits');
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringContaining('batch 1') });
    expect(check!.detail).toContain('planned 4 messages but has 3 outcomes');
    expect(report.integrity.ok).toBe(false);
  }, 60_000);
});
