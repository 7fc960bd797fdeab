/**
 * The package's own folder (where package.json, bin/, models/ and fixtures/
 * are), found by walking up from this module: the same from src/ (tsx,
 * vitest) and from dist/src/ (the built CLI), whatever the working directory.
 * Every path into the package is built from PACKAGE_ROOT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Manifest {
  readonly name?: string;
  readonly version?: string;
}

function findPackageRoot(): { dir: string; manifest: Manifest } {
  const here = fileURLToPath(import.meta.url);
  for (let dir = dirname(here); ; dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const manifest = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
      if (manifest.name === 'spamzk') return { dir, manifest };
    }
    if (dirname(dir) === dir) throw new Error(`spamzk's package.json not found above ${here}`);
  }
}

const found = findPackageRoot();

export const PACKAGE_ROOT = found.dir;
export const PACKAGE_VERSION = found.manifest.version ?? 'unknown';
/** The `spamzk` executable: what the local fleet starts its processors with. */
export const SPAMZK_BIN = join(PACKAGE_ROOT, 'bin', 'spamzk.js');
