/**
 * A TREC spam-track index (trec05p/06p/07p): one `spam ../data/inmail.1` or
 * `ham ../data/inmail.2` line per message, in arrival order, paths relative
 * to the index file. A line that is not `spam|ham PATH`, or a path that cannot
 * be read, is an error naming the file and line: a corpus is never silently
 * shortened.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface IndexedMessage {
  readonly label: 'spam' | 'ham';
  readonly path: string;
  /** 1-based line of the index. */
  readonly line: number;
}

export class CorpusError extends Error {
  constructor(
    readonly code: 'TREC_INDEX_BAD_LINE' | 'TREC_INDEX_UNREADABLE' | 'TREC_MESSAGE_UNREADABLE' | 'TREC_INDEX_EMPTY',
    message: string,
  ) {
    super(message);
    this.name = 'CorpusError';
  }
}

export function readTrecIndex(indexPath: string): IndexedMessage[] {
  let text: string;
  try {
    text = readFileSync(indexPath, 'utf8');
  } catch (err) {
    throw new CorpusError('TREC_INDEX_UNREADABLE', `cannot read the TREC index ${indexPath}: ${(err as Error).message}`);
  }
  const base = dirname(indexPath);
  const out: IndexedMessage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const m = /^(spam|ham)[ \t]+(\S.*?)\s*$/i.exec(line);
    if (!m) {
      throw new CorpusError('TREC_INDEX_BAD_LINE', `${indexPath} line ${i + 1}: expected "spam PATH" or "ham PATH", got ${JSON.stringify(line.slice(0, 120))}`);
    }
    out.push({ label: m[1]!.toLowerCase() as 'spam' | 'ham', path: resolve(base, m[2]!), line: i + 1 });
  }
  if (out.length === 0) throw new CorpusError('TREC_INDEX_EMPTY', `${indexPath} lists no messages`);
  return out;
}

/** The message of one index line; an unreadable file names the index line that lists it. */
export function readIndexedMessage(indexPath: string, m: IndexedMessage): Buffer {
  try {
    return readFileSync(m.path);
  } catch (err) {
    throw new CorpusError('TREC_MESSAGE_UNREADABLE', `${indexPath} line ${m.line}: cannot read ${m.path}: ${(err as Error).message}`);
  }
}
