import type { RunConfig } from '../cli/config.js';
import type { Logger } from '../cli/logger.js';
import type { OpenSourceOptions } from '../sources/index.js';

/** The source settings of a run (IMAP ones are ignored by fixture sources). */
export function sourceOptionsFrom(config: RunConfig, log: Logger): OpenSourceOptions {
  return {
    ...(config.imapPasswordFile ? { passwordFile: config.imapPasswordFile } : {}),
    ...(config.caFile ? { caFile: config.caFile } : {}),
    insecure: config.insecure,
    writeBack: config.writeBack,
    warn: (message) => log.warn(message),
  };
}
