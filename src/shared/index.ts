/**
 * What every layer may use and that belongs to none of them: where the
 * package is, and a cancellable wait. Imports nothing from src/.
 */
export { PACKAGE_ROOT, PACKAGE_VERSION, SPAMZK_BIN } from './package-root.js';
export { delay } from './delay.js';
