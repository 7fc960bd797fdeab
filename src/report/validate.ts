/**
 * Checks on the report's input at the boundary. The pipeline decodes done
 * markers and events from ZooKeeper; a value that breaks the report's
 * arithmetic (a NaN score, a verdict nobody knows) is a bug upstream, so it
 * stops the report with a message naming the message and the field, rather
 * than producing charts and figures silently built on garbage.
 *
 * Inconsistencies between well-formed records (duplicate keys, counts that do
 * not add up) are not errors here: they are what the integrity checks report.
 */
import type { BatchCommit, MessageOutcome } from './types.js';

export class ReportInputError extends Error {
  readonly code = 'REPORT_INPUT_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ReportInputError';
  }
}

const VERDICTS = new Set(['spam', 'ham', 'unsure', 'failed']);

function isIndex(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

export function assertValidOutcome(o: MessageOutcome, index: number): void {
  const where = `outcome #${index} (key ${String(o.key)}, batch ${String(o.batch)})`;
  if (!isIndex(o.key)) throw new ReportInputError(`${where}: key must be a non-negative integer`);
  if (!isIndex(o.batch)) throw new ReportInputError(`${where}: batch must be a non-negative integer`);
  if (typeof o.processor !== 'string' || o.processor === '') {
    throw new ReportInputError(`${where}: processor id is missing`);
  }
  if (!VERDICTS.has(o.verdict)) {
    throw new ReportInputError(`${where}: verdict "${String(o.verdict)}" is not spam, ham, unsure or failed`);
  }
  if (o.label !== undefined && o.label !== 'spam' && o.label !== 'ham') {
    throw new ReportInputError(`${where}: label "${String(o.label)}" is not spam or ham`);
  }
  if (o.verdict === 'failed') {
    if (typeof o.reason !== 'string') throw new ReportInputError(`${where}: a failed message needs a reason`);
  } else if (typeof o.score !== 'number' || !(o.score >= 0 && o.score <= 1)) {
    throw new ReportInputError(`${where}: score ${String(o.score)} is not a probability in [0, 1]`);
  }
}

export function assertValidCommit(c: BatchCommit, index: number): void {
  const where = `commit #${index} (batch ${String(c.batch)})`;
  if (!isIndex(c.batch)) throw new ReportInputError(`${where}: batch must be a non-negative integer`);
  if (typeof c.processor !== 'string' || c.processor === '') {
    throw new ReportInputError(`${where}: processor id is missing`);
  }
  for (const field of ['messages', 'attempts', 'claimSeq'] as const) {
    if (!(Number.isFinite(c[field]) && c[field] >= 0)) {
      throw new ReportInputError(`${where}: ${field} ${String(c[field])} must be a non-negative number`);
    }
  }
  for (const field of ['committedAt', 'durationMs'] as const) {
    if (!Number.isFinite(c[field])) throw new ReportInputError(`${where}: ${field} ${String(c[field])} is not a number`);
  }
}
