import type { ConnectionCap, OpenSourceOptions } from '../sources/index.js';
import type { Logger, ProcessorSettings } from './settings.js';

/**
 * The source settings of a run (IMAP ones are ignored by fixture sources).
 * With a fleet-wide cap, this process's own limit on the account is the cap
 * too (it can never use more than the whole fleet may); its pool stays below.
 */
export function sourceOptionsFrom(settings: ProcessorSettings, log: Logger, cap?: ConnectionCap): OpenSourceOptions {
  return {
    ...(cap ? { connectionCap: cap } : {}),
    ...(settings.imapMaxConnections !== undefined ? { accountMaxConnections: settings.imapMaxConnections } : {}),
    ...(settings.imapPasswordFile ? { passwordFile: settings.imapPasswordFile } : {}),
    ...(settings.caFile ? { caFile: settings.caFile } : {}),
    insecure: settings.insecure,
    writeBack: settings.writeBack,
    ...(settings.junkMailbox ? { junkMailbox: settings.junkMailbox } : {}),
    warn: (message) => log.warn(message),
  };
}
