import type { OpenSourceOptions } from '../sources/index.js';
import type { Logger, ProcessorSettings } from './settings.js';

/** The source settings of a run (IMAP ones are ignored by fixture sources). */
export function sourceOptionsFrom(settings: ProcessorSettings, log: Logger): OpenSourceOptions {
  return {
    ...(settings.imapPasswordFile ? { passwordFile: settings.imapPasswordFile } : {}),
    ...(settings.caFile ? { caFile: settings.caFile } : {}),
    insecure: settings.insecure,
    writeBack: settings.writeBack,
    ...(settings.junkMailbox ? { junkMailbox: settings.junkMailbox } : {}),
    warn: (message) => log.warn(message),
  };
}
