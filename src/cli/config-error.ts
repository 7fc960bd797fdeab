/** A bad flag, environment variable or config-file setting: exit 2, before any work starts. */
export class ConfigError extends Error {
  readonly code = 'BAD_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
