/**
 * docs/design.md quotes numbers that the code decides. Each is read from the
 * text and compared with the constant (or, for a measured size, with a fresh
 * measurement), so that changing one without the other fails here. A
 * rewording that drops a sentence fails too: update the pattern with it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BATCH_SIZE } from '../../src/cli/config.js';
import { DEFAULT_ROOT, FOLD_MIN, JobPaths, MAX_RESULT_BYTES } from '../../src/coordination/index.js';
import { FORMAT_VERSION, RESULT_BUDGET_PER_100_MESSAGES, SCORE_STEPS } from '../../src/pipeline/batch-result.js';
import { DEFAULT_YIELD_EVERY_MS } from '../../src/pipeline/classify-batch.js';
import { PROCESSOR_NODE_FLAGS } from '../../src/pipeline/child-protocol.js';
import { DEFAULT_MAX_RESTARTS } from '../../src/pipeline/fleet.js';
import { WEDGED_AFTER_MS } from '../../src/pipeline/wedge-watch.js';
import { PACKAGE_ROOT } from '../../src/shared/index.js';
import { LEARNED_VERSION_MEASURED, measureDoneMarkerSize, TEST_SPLIT } from '../../scripts/done-marker-size.js';

/** design.md with every run of white space made one space, so a sentence may wrap anywhere. */
const DESIGN = readFileSync(join(PACKAGE_ROOT, 'docs', 'design.md'), 'utf8').replace(/\s+/g, ' ');

function quoted(pattern: RegExp): string[] {
  const match = pattern.exec(DESIGN);
  if (!match) throw new Error(`docs/design.md no longer says ${pattern}: update this test with the text`);
  return match.slice(1);
}

function quotedNumber(pattern: RegExp): number {
  return Number(quoted(pattern)[0]!.replaceAll(',', ''));
}

describe('the numbers of docs/design.md', () => {
  it('name the root znode and the batch-name width the paths use', () => {
    expect(quoted(/root default `([^`]+)`/)[0]).toBe(DEFAULT_ROOT);
    const batchName = new JobPaths(DEFAULT_ROOT, 'job-x').batch(0).split('/').pop()!;
    expect(quotedNumber(/zero-padded to (\d+) digits/)).toBe(batchName.length);
  });

  it('give the checkpoint the fold size the processors use', () => {
    expect(quotedNumber(/`FOLD_MIN` = (\d+)/)).toBe(FOLD_MIN);
  });

  it('give the done marker the size limit the commit enforces', () => {
    expect(quotedNumber(/at most ([\d,]+) bytes, `MAX_RESULT_BYTES`/)).toBe(MAX_RESULT_BYTES);
  });

  it('give the defaults the pipeline and the CLI use', () => {
    expect(quotedNumber(/The default of (\d+) keys a batch/)).toBe(DEFAULT_BATCH_SIZE);
    expect(quotedNumber(/yields to the event loop every (\d+) ms/)).toBe(DEFAULT_YIELD_EVERY_MS);
    expect(quotedNumber(/still running (\d+) s after that abort/) * 1000).toBe(WEDGED_AFTER_MS);
    expect(quotedNumber(/up to (\d+) times a slot/)).toBe(DEFAULT_MAX_RESTARTS);
  });

  it('give the heap limits processor children run with', () => {
    const [young, old] = quoted(/a (\d+) MB young generation and a (\d+) MB old space, 4× the live heap/);
    expect(PROCESSOR_NODE_FLAGS).toEqual([`--max-semi-space-size=${young}`, `--max-old-space-size=${old}`]);
    expect(readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8')).toContain(`NODE_OPTIONS='${PROCESSOR_NODE_FLAGS.join(' ')}'`);
  });

  it('describe the done marker encoding as the code does it', () => {
    expect(quotedNumber(/score quantized to 1\/(\d+)/)).toBe(SCORE_STEPS);
    expect(quotedNumber(/\(budget: (\d+) KB;/) * 1024).toBe(RESULT_BUDGET_PER_100_MESSAGES);
    expect(quotedNumber(/since format v(\d+) the learned model version `mv`/)).toBe(FORMAT_VERSION);
  });

  it('quote the done-marker bytes per 100 messages that a fresh measurement gives (within 10%)', async () => {
    const [perHundred, batchSize] = quoted(/about (\d+) bytes per 100 messages on the TEST split at (\d+) messages a batch/).map(Number);
    expect(quotedNumber(/measured with `mv` = (\d+) in every marker/)).toBe(LEARNED_VERSION_MEASURED);
    const measured = await measureDoneMarkerSize(TEST_SPLIT, batchSize!);
    expect(measured.messages).toBe(1241);
    expect(Math.abs(measured.bytesPer100Messages - perHundred!) / perHundred!).toBeLessThanOrEqual(0.1);
    expect(measured.bytesPer100Messages).toBeLessThan(RESULT_BUDGET_PER_100_MESSAGES);
  }, 60_000);
});
