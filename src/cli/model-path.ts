/**
 * Which model file a command uses, in one place. Reading commands (classify,
 * eval, replay, run, processor) take, strongest first: the --model flag,
 * $SPAMZK_MODEL, the user's own model (~/.spamzk/model.json) when it exists,
 * else the shipped model. Writing commands (train, learn) take the flag,
 * $SPAMZK_MODEL, else the user's model whether it exists or not: they never
 * write the shipped file unless told to with --force (issue 13: a 4-message
 * train once replaced it and every later command used that model).
 *
 * Imports nothing heavy: `classify ONE_FILE` resolves its model through here.
 */
import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_MODEL_PATH } from '../classifier/index.js';
import { ConfigError } from './config-error.js';

export type ModelOrigin = 'flag' | 'SPAMZK_MODEL' | 'user' | 'shipped';

export interface ModelChoice {
  readonly path: string;
  readonly origin: ModelOrigin;
}

/** ~/.spamzk/model.json, under $HOME when set (a test or a service account may point it elsewhere). */
export function userModelPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.HOME || homedir(), '.spamzk', 'model.json');
}

function named(flag: string | undefined, env: NodeJS.ProcessEnv): ModelChoice | undefined {
  if (flag !== undefined && flag !== '') return { path: flag, origin: 'flag' };
  if (env.SPAMZK_MODEL) return { path: env.SPAMZK_MODEL, origin: 'SPAMZK_MODEL' };
  return undefined;
}

/** The model a reading command loads. */
export function modelToRead(flag?: string, env: NodeJS.ProcessEnv = process.env): ModelChoice {
  const chosen = named(flag, env);
  if (chosen) return chosen;
  const user = userModelPath(env);
  return existsSync(user) ? { path: user, origin: 'user' } : { path: DEFAULT_MODEL_PATH, origin: 'shipped' };
}

/** The model a writing command writes; refuses the shipped file (exit 2) unless `force`. */
export function modelToWrite(flag: string | undefined, force: boolean, env: NodeJS.ProcessEnv = process.env): ModelChoice {
  const chosen = named(flag, env) ?? { path: userModelPath(env), origin: 'user' as const };
  if (!force && isShippedModel(chosen.path)) {
    throw new ConfigError(
      `refusing to overwrite the shipped model ${DEFAULT_MODEL_PATH} (named by ${chosen.origin === 'flag' ? 'the command line' : chosen.origin}); ` +
        `write your own model (default ${userModelPath(env)}), or add --force to replace the shipped one`,
    );
  }
  return chosen;
}

export function isShippedModel(path: string): boolean {
  return canonical(path) === canonical(DEFAULT_MODEL_PATH);
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** "~/.spamzk/model.json (your model)" and the like, for verbose output and logs. */
export function describeModel(choice: ModelChoice): string {
  const why = { flag: '--model', SPAMZK_MODEL: '$SPAMZK_MODEL', user: 'your model', shipped: 'the shipped model' }[choice.origin];
  return `${choice.path} (${why})`;
}
