/** Where the shipped model lives: under the package root (src/shared/package-root.ts). */
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../shared/package-root.js';

export { PACKAGE_ROOT };

export const MODELS_DIR = join(PACKAGE_ROOT, 'models');
/** The model every command uses unless told otherwise. */
export const DEFAULT_MODEL_PATH = join(MODELS_DIR, 'spamzk-model.json');
