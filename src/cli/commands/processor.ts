/**
 * `spamzk processor SOURCE`: one member of the fleet, in this process. `replay`
 * and `run` start N of these (src/pipeline/child-protocol.ts: their settings
 * come in a validated order, their summary goes back as a tagged stdout line);
 * on a machine that joins an existing fleet it can be run directly (with --zk).
 * SIGTERM drains: the batch in hand is finished or released, then the process
 * exits.
 */
import { Command } from 'commander';
import { zkAuthFromEnv } from '../zk-auth.js';
import { ProcessorMetrics, serveMetrics, type MetricsServer } from '../../metrics/index.js';
import { readChildOrder, runProcessor, summaryLine, type LogLevel, type Logger, type MetricsEndpoint, type ProcessorSettings } from '../../pipeline/index.js';
import { reportError } from '../command-errors.js';
import { ConfigError, metricsEndpointFrom, processorSettingsFrom, resolveRunConfig } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { createLogger } from '../logger.js';
import { addSharedRunOptions, givenFlags } from '../run-options.js';

export function registerProcessor(program: Command): void {
  const cmd = new Command('processor')
    .description('run one processor of the fleet in this process until the job is complete (needs --zk)')
    .argument('<source>', 'fixture path or imap(s):// URL (the same as the fleet\'s)')
    .option('--junk-mailbox <name>', 'with SPAMZK_WRITE_BACK=move: the mailbox spam goes to (it must exist) [SPAMZK_JUNK_MAILBOX] (default: the one marked SPECIAL-USE \\Junk)');
  addSharedRunOptions(cmd, 'required: the fleet this processor joins').action(async (source: string, _opts: unknown, self: Command) => {
    const drain = new AbortController();
    const onSignal = (): void => drain.abort();
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    let server: MetricsServer | undefined;
    try {
      const { settings, logLevel, expectedJobId, metricsAt, fixtureIndex } = orderFor(self, source);
      const log = createLogger(logLevel).child({ pid: process.pid });
      const auth = await zkAuthFromEnv();
      const metrics = metricsAt ? new ProcessorMetrics() : undefined;
      if (metrics && metricsAt) server = await startMetricsServer(metrics, metricsAt, log);
      const summary = await runProcessor({
        settings,
        log,
        drainSignal: drain.signal,
        ...(auth ? { auth } : {}),
        ...(expectedJobId ? { expectedJobId } : {}),
        ...(metrics ? { metrics } : {}),
        ...(fixtureIndex ? { fixtureIndex } : {}),
      });
      process.stdout.write(summaryLine(summary));
      if (summary.drained && !summary.complete) {
        process.stderr.write(
          `spamzk: processor ${summary.processorId} drained: job ${summary.jobId} is draining, so it finished its batch in hand and stopped; ` +
            `the job is resumable (spamzk resume ${summary.jobId}, then start the processors again)\n`,
        );
      }
      process.exitCode = summary.complete || summary.drained || drain.signal.aborted ? EXIT.ok : EXIT.failure;
    } catch (err) {
      process.exitCode = reportError(err);
    } finally {
      await server?.close();
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      // Nothing of ours is left running; a wedged library socket must not keep
      // a finished processor alive (its fleet waits for it to exit).
      setTimeout(() => process.exit(), 5_000).unref();
    }
  });
  program.addCommand(cmd);
}

interface ProcessorOrder {
  readonly settings: ProcessorSettings;
  readonly logLevel: LogLevel;
  readonly expectedJobId?: string;
  readonly metricsAt?: MetricsEndpoint;
  readonly fixtureIndex?: string;
}

/** A port that cannot be bound is a usage error (exit 2): a replacement process would fail the same way. */
async function startMetricsServer(metrics: ProcessorMetrics, at: MetricsEndpoint, log: Logger): Promise<MetricsServer> {
  try {
    const server = await serveMetrics(metrics, at);
    log.info({ url: server.url }, 'serving Prometheus metrics');
    return server;
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** A child of `replay`/`run` follows its parent's order; a hand-started one resolves its own flags. */
function orderFor(cmd: Command, source: string): ProcessorOrder {
  const order = readChildOrder(process.env);
  if (order) {
    return {
      settings: order.settings,
      logLevel: order.logLevel,
      ...(order.jobId !== undefined ? { expectedJobId: order.jobId } : {}),
      ...(order.metrics ? { metricsAt: order.metrics } : {}),
      ...(order.fixtureIndex ? { fixtureIndex: order.fixtureIndex } : {}),
    };
  }
  const config = resolveRunConfig(givenFlags(cmd));
  if (config.zk === undefined) throw new ConfigError('a processor needs --zk (or SPAMZK_ZK): it joins an existing fleet');
  const metricsAt = metricsEndpointFrom(config);
  return { settings: processorSettingsFrom(config, source, config.zk), logLevel: config.logLevel, ...(metricsAt ? { metricsAt } : {}) };
}
