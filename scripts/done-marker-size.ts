/**
 * What a done marker costs in ZooKeeper: classifies a fixture (the TEST split
 * by default) with the shipped model, cuts it into batches as a job would,
 * encodes each batch's verdicts as the processor commits them, and prints the
 * bytes per 100 messages (docs/design.md quotes the figure, and
 * test/docs/design-numbers.test.ts holds it to this measurement).
 *
 *   npx tsx scripts/done-marker-size.ts [FIXTURE] [--batch-size N]
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SpamModel } from '../src/classifier/index.js';
import { encodeBatchResult, planBatches } from '../src/pipeline/index.js';
import { classifyBatch } from '../src/pipeline/classify-batch.js';
import { PACKAGE_ROOT } from '../src/shared/index.js';
import { FixtureSource } from '../src/sources/index.js';

/** A learned model version as a long-learning account might reach (three digits). */
export const LEARNED_VERSION_MEASURED = 100;

export const TEST_SPLIT = join(PACKAGE_ROOT, 'fixtures', 'generated', 'spamassassin-test');

export interface DoneMarkerSize {
  readonly messages: number;
  readonly batches: number;
  /** Encoded results of all batches (the done markers' headers aside). */
  readonly bytes: number;
  readonly largest: number;
  readonly bytesPer100Messages: number;
}

export async function measureDoneMarkerSize(fixture: string, batchSize: number): Promise<DoneMarkerSize> {
  const model = SpamModel.load();
  const source = new FixtureSource(fixture);
  await source.open();
  try {
    const batches = planBatches(await source.listKeys(), batchSize);
    let bytes = 0;
    let messages = 0;
    let largest = 0;
    for (const batch of batches) {
      const result = await classifyBatch(batch, { source, classifier: model, signal: new AbortController().signal });
      // As a fleet with --learn writes it: the model version (v4's `mv`) in every marker; a base-model marker omits it.
      const encoded = encodeBatchResult({ ...result, modelVersion: LEARNED_VERSION_MEASURED });
      bytes += encoded.length;
      messages += result.messages.length;
      largest = Math.max(largest, encoded.length);
    }
    return { messages, batches: batches.length, bytes, largest, bytesPer100Messages: (bytes * 100) / messages };
  } finally {
    await source.close();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { 'batch-size': { type: 'string', default: '250' } }, allowPositionals: true });
  const fixture = positionals[0] ?? TEST_SPLIT;
  const batchSize = Number(values['batch-size']);
  const size = await measureDoneMarkerSize(fixture, batchSize);
  console.log(`${fixture}: ${size.messages} messages in ${size.batches} batches of ${batchSize}`);
  console.log(`done-marker results: ${size.bytes} bytes in all, ${size.bytesPer100Messages.toFixed(0)} bytes per 100 messages, largest ${size.largest} bytes`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
