/**
 * A password that cannot leak by accident: toString, JSON.stringify,
 * util.inspect (console.log, pino, vitest diffs) and template strings all show
 * "[redacted]". Only `reveal()` gives the value, and only the IMAP login calls it.
 * The value lives in a private field (#), which no serializer can see.
 */
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { ImapPasswordMissingError } from './errors.js';

export const DEFAULT_PASSWORD_ENV = 'SPAMZK_IMAP_PASSWORD';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret([redacted])';
  }
}

export interface PasswordSource {
  /** Environment variable holding the password (default SPAMZK_IMAP_PASSWORD). */
  passwordEnv?: string;
  /** File whose content (trailing newline removed) is the password; wins over the variable. */
  passwordFile?: string;
}

/** Reads the password from a file or the environment; never from argv. */
export function loadPassword(from: PasswordSource, env: NodeJS.ProcessEnv = process.env): Secret {
  if (from.passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(from.passwordFile, 'utf8');
    } catch (err) {
      throw new ImapPasswordMissingError(`cannot read the IMAP password file ${from.passwordFile}: ${(err as Error).message}`);
    }
    const value = text.replace(/\r?\n$/, '');
    if (value === '') throw new ImapPasswordMissingError(`the IMAP password file ${from.passwordFile} is empty`);
    return new Secret(value);
  }
  const name = from.passwordEnv ?? DEFAULT_PASSWORD_ENV;
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ImapPasswordMissingError(`no IMAP password: set the environment variable ${name} or give a password file`);
  }
  return new Secret(value);
}
