/**
 * Where the shipped model lives. Resolved from this module's own location up
 * to the package root, so it is the same from src/ (tsx, vitest) and from
 * dist/src/ (the built CLI), whatever the working directory.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'spamzk') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`spamzk's package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = packageRoot();
export const MODELS_DIR = join(PACKAGE_ROOT, 'models');
/** The model every command uses unless told otherwise. */
export const DEFAULT_MODEL_PATH = join(MODELS_DIR, 'spamzk-model.json');
