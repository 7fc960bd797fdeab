/**
 * `spamzk processor SOURCE`: one member of the fleet, in this process. `replay`
 * and `run` start N of these; on a machine that joins an existing fleet it can
 * be run directly (with --zk). SIGTERM drains: the batch in hand is finished
 * or released, then the process exits. Prints its run summary as one JSON line.
 */
import { Command } from 'commander';
import { CHILD_CONFIG_ENV, CHILD_JOB_ENV, runProcessor } from '../../pipeline/index.js';
import { reportError } from '../command-errors.js';
import { ConfigError, resolveRunConfig, type RunConfig } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { addRunOptions, givenFlags } from '../run-options.js';

export function registerProcessor(program: Command): void {
  const cmd = new Command('processor')
    .description('run one processor of the fleet in this process until the job is complete (needs --zk)')
    .argument('<source>', 'fixture path or imap(s):// URL (the same as the fleet\'s)');
  addRunOptions(cmd).action(async (source: string, _opts: unknown, self: Command) => {
    const drain = new AbortController();
    const onSignal = (): void => drain.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    try {
      const config = configFor(self);
      if (config.zk === undefined) throw new ConfigError('a processor needs --zk (or SPAMZK_ZK): it joins an existing fleet');
      const log = createLogger(config.logLevel).child({ pid: process.pid });
      const expectedJobId = process.env[CHILD_JOB_ENV];
      const summary = await runProcessor({
        config,
        sourceLocation: source,
        connectString: config.zk,
        log,
        drainSignal: drain.signal,
        ...(expectedJobId ? { expectedJobId } : {}),
      });
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      process.exitCode = summary.complete || drain.signal.aborted ? EXIT.ok : EXIT.failure;
    } catch (err) {
      process.exitCode = reportError(err);
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // Nothing of ours is left running; a wedged library socket must not keep
      // a finished processor alive (its fleet waits for it to exit).
      setTimeout(() => process.exit(), 5_000).unref();
    }
  });
  program.addCommand(cmd);
}

/** A child of `replay`/`run` gets its parent's resolved config; a hand-started one resolves its own. */
function configFor(cmd: Command): RunConfig {
  const inherited = process.env[CHILD_CONFIG_ENV];
  return inherited ? (JSON.parse(inherited) as RunConfig) : resolveRunConfig(givenFlags(cmd));
}
