/**
 * A consumer and a producer of an ExactlyOnceLog as the tests use them, in the
 * manner of the pipeline's learner: the head points at a lineage file in a
 * store folder, and each lineage file lists the records its version consumed
 * and its parent, so an audit can walk the lineage and count every record.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ExactlyOnceLog, Versioned } from '../../src/coordination/index.js';

export interface TestHead {
  version: number;
  /** Lineage file of this version in the store; '' for version 0. */
  file: string;
}

export interface Lineage {
  version: number;
  parent: string;
  consumed: string[];
}

export const INITIAL_HEAD = Buffer.from(JSON.stringify({ version: 0, file: '' } satisfies TestHead));

export function parseHead(v: Versioned): TestHead {
  return JSON.parse(v.data.toString()) as TestHead;
}

/** Produces records `prefix-<from+1..to>` behind a cursor `{ through }`; retries until its range is in. */
export async function produce(log: ExactlyOnceLog, cursor: string, prefix: string, to: number): Promise<string[]> {
  for (;;) {
    const now = await log.readCursor(cursor);
    const through = now ? (JSON.parse(now.data.toString()) as { through: number }).through : 0;
    if (through >= to) return [];
    const records = [];
    for (let i = through + 1; i <= to; i++) records.push({ name: `${prefix}-${i}`, data: Buffer.from(JSON.stringify({ i })) });
    const outcome = await log.appendWithCursor(cursor, now, Buffer.from(JSON.stringify({ through: to })), records);
    if (outcome.appended) return [...outcome.names];
  }
}

export interface ConsumeHooks {
  /** Called after the new version's lineage file is written, before the head's CAS. */
  beforeAdvance?: () => Promise<void>;
}

/** One consume step: 'advanced', 'lost-race' or 'nothing' (no pending record). */
export async function consumeOnce(log: ExactlyOnceLog, store: string, hooks: ConsumeHooks = {}): Promise<'advanced' | 'lost-race' | 'nothing'> {
  const head = await log.readHead();
  const current = parseHead(head);
  const pending = await log.pending(100);
  if (pending.length === 0) return 'nothing';
  const lineage: Lineage = { version: current.version + 1, parent: current.file, consumed: pending.map((r) => r.name) };
  // A loser's or a crashed consumer's file stays behind unreferenced: harmless.
  const file = `v${lineage.version}-${randomBytes(4).toString('hex')}.json`;
  writeFileSync(join(store, file), JSON.stringify(lineage));
  await hooks.beforeAdvance?.();
  const next: TestHead = { version: lineage.version, file };
  return log.advanceHeadConsuming(head, Buffer.from(JSON.stringify(next)), lineage.consumed);
}

/** Every record consumed along the lineage from the head back to version 0, with repeats. */
export function consumedAlongLineage(store: string, head: TestHead): string[] {
  const out: string[] = [];
  let file = head.file;
  let expectVersion = head.version;
  while (file !== '') {
    const path = join(store, file);
    if (!existsSync(path)) throw new Error(`lineage file ${file} missing`);
    const lineage = JSON.parse(readFileSync(path, 'utf8')) as Lineage;
    if (lineage.version !== expectVersion) throw new Error(`lineage ${file} is version ${lineage.version}, expected ${expectVersion}`);
    out.push(...lineage.consumed);
    file = lineage.parent;
    expectVersion--;
  }
  if (expectVersion !== 0) throw new Error(`lineage ends at version ${expectVersion}, not 0`);
  return out;
}
