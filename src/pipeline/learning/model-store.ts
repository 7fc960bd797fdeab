/**
 * The content-addressed model store: model bytes live here, not in ZooKeeper
 * (which keeps its whole tree in memory and refuses a znode above
 * jute.maxbuffer, 1 MB by default; docs/design.md). A version is two files:
 *   <dir>/<modelHash>.json           the model file (SpamModel.save)
 *   <dir>/<modelHash>.lineage.json   which corrections that version applied, and its parent
 * Writes are idempotent (same hash, same bytes) and atomic (temporary name, then rename),
 * so a learner that dies mid-write or loses its race leaves at worst an unreferenced file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SpamModel } from '../../classifier/index.js';

export const DEFAULT_MODEL_STORE = join(homedir(), '.spamzk', 'models');

export interface Lineage {
  readonly version: number;
  /** The parent version's model hash; '' = the base model. */
  readonly parent: string;
  readonly baseModelId: string;
  /** Correction ids learned by this version (from its parent). */
  readonly applied: readonly string[];
  /** Correction ids this version consumed without learning: their message was gone from the mailbox. */
  readonly skipped: readonly string[];
}

export class ModelStoreError extends Error {
  readonly code = 'MODEL_STORE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelStoreError';
  }
}

export class ModelStore {
  constructor(readonly dir: string = DEFAULT_MODEL_STORE) {}

  modelPath(hash: string): string { return join(this.dir, `${hash}.json`); }
  lineagePath(hash: string): string { return join(this.dir, `${hash}.lineage.json`); }

  /** Stores a learned version; returns its hash (the model's content hash). */
  put(model: SpamModel, lineage: Lineage): string {
    mkdirSync(this.dir, { recursive: true });
    const hash = model.id;
    if (!existsSync(this.modelPath(hash))) atomically(this.modelPath(hash), (tmp) => model.save(tmp));
    atomically(this.lineagePath(hash), (tmp) => writeFileSync(tmp, JSON.stringify(lineage)));
    return hash;
  }

  load(hash: string): SpamModel {
    const path = this.modelPath(hash);
    if (!existsSync(path)) {
      throw new ModelStoreError(`model ${hash} is not in the model store ${this.dir}: on a fleet of several machines, --model-store must be shared storage`);
    }
    return SpamModel.load(path);
  }

  lineage(hash: string): Lineage {
    try {
      return JSON.parse(readFileSync(this.lineagePath(hash), 'utf8')) as Lineage;
    } catch (err) {
      throw new ModelStoreError(`lineage of model ${hash} unreadable in ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Every version from `hash` back to the base model, newest first. */
  lineageFrom(hash: string): Lineage[] {
    const out: Lineage[] = [];
    for (let h = hash; h !== ''; ) {
      const l = this.lineage(h);
      out.push(l);
      h = l.parent;
    }
    return out;
  }
}

function atomically(path: string, write: (tmp: string) => void): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  write(tmp);
  renameSync(tmp, path);
}
