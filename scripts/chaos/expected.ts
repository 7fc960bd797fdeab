/**
 * What the model says of each message alone: the reference the audit compares
 * every committed verdict with. It runs the compiled build (dist/) that the
 * processors run, in a child process started for the round, so that the
 * reference and the processors use the same code and the same model file
 * (a rebuild or a retrained model between rounds would otherwise show up as
 * "wrong verdicts" that are no fault of the pipeline).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { PACKAGE_ROOT } from '../../src/classifier/index.js';
import type { ExpectedVerdict } from './audit.js';

export interface Reference {
  readonly modelId: string;
  /** In corpus order (listCorpus), one per message. */
  readonly verdicts: ExpectedVerdict[];
}

const CHILD = `
const [classifier, corpus, batch] = await Promise.all([
  import(process.env.DIST + '/src/classifier/index.js'),
  import(process.env.DIST + '/src/corpus/index.js'),
  import(process.env.DIST + '/src/pipeline/batch-result.js'),
]);
const model = classifier.SpamModel.load();
const verdicts = corpus.listCorpus(process.env.SPLIT || undefined).map((m) => {
  try {
    const v = model.classify(corpus.readCorpusMessage(m));
    return { verdict: v.label, score: batch.quantizeScore(v.score) };
  } catch {
    return { verdict: 'failed', score: 0 };
  }
});
process.stdout.write(JSON.stringify({ modelId: model.id, verdicts }));
`;

export async function classifyAlone(split: 'test' | undefined): Promise<Reference> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, DIST: pathToFileURL(join(PACKAGE_ROOT, 'dist')).href, SPLIT: split ?? '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Reference;
}
