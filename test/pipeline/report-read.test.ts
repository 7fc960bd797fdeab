/**
 * How the report reads a job from a real ZooKeeper: one snapshot (the plan is
 * read once, and everything derives from that read), and a commit of unknown
 * outcome shown as such, not as fenced.
 */
import { expect, it } from 'vitest';
import { useZooKeeper } from '../support/zookeeper.js';
import zookeeper from 'node-zookeeper-client';
import { JobPaths, openJob, type Batch } from '../../src/coordination/index.js';
import { gatherReportInput } from '../../src/pipeline/index.js';
import { buildReport, renderMarkdown } from '../../src/report/index.js';

const ROOT = '/report-read';
const zoo = useZooKeeper({ prefix: 'spamzk-report-read-zk-' });

const PLAN: Batch[] = [0, 1, 2].map((index) => ({ index, first: index * 4 + 1, last: index * 4 + 4, count: 4 }));

it('reads the plan znode once per report, and the batches of that read', async () => {
  const jobId = 'job-one-read';
  await openJob(zoo.session, ROOT, { jobId, sourceId: 'test', modelId: 'none', batchSize: 4 }, () => PLAN);
  const planPath = new JobPaths(ROOT, jobId).plan;
  const reads: string[] = [];
  const getData = zoo.session.getData.bind(zoo.session);
  zoo.session.getData = (path, watcher) => {
    reads.push(path);
    return getData(path, watcher);
  };
  try {
    const input = await gatherReportInput(zoo.session, ROOT, jobId);
    expect(reads.filter((p) => p === planPath)).toHaveLength(1);
    expect(input.job.batches).toBe(3);
    expect(input.job.expectedMessages).toBe(12);
    expect(input.job.complete).toBe(false);
  } finally {
    zoo.session.getData = getData;
  }
});

it('shows a commit of unknown outcome under its own heading, not as a fenced commit', async () => {
  const jobId = 'job-unknown-commit';
  await openJob(zoo.session, ROOT, { jobId, sourceId: 'test', modelId: 'none', batchSize: 4 }, () => PLAN);
  const detail = 'commit reply lost (CONNECTION_LOSS) and no done marker visible from this server yet';
  const event = { type: 'unknown', batch: 1, processorId: 'proc-x', claimSeq: 7, detail };
  await zoo.session.create(new JobPaths(ROOT, jobId).eventPrefix(), Buffer.from(JSON.stringify(event)), zookeeper.CreateMode.PERSISTENT_SEQUENTIAL);
  const report = buildReport(await gatherReportInput(zoo.session, ROOT, jobId));
  expect(report.fencedCommits).toEqual([]);
  expect(report.unknownCommits).toMatchObject([{ batch: 1, processor: 'proc-x', claimSeq: 7, detail }]);
  const markdown = renderMarkdown(report);
  expect(markdown).toContain('Commits of unknown outcome');
  expect(markdown).toMatch(/batch 1: commit by proc-x with claim 7: outcome unknown \(commit reply lost/);
});
