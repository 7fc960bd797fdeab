/**
 * The flags of the job commands, in two sets so that each command lists only
 * what it uses (`processor --help` must not offer -p or --report-dir, which a
 * single processor would ignore):
 * - shared: what every processor of a fleet needs (`replay`, `run`, `processor`);
 * - fleet: what a run of N local processors and its report add (`replay`, `run`).
 * Each also has a SPAMZK_* environment variable and a config-file setting
 * (src/cli/config.ts); flags win, then the environment, then the file, then
 * the defaults.
 */
import type { Command } from 'commander';
import { DEFAULT_ROOT } from '../coordination/index.js';

/** Flags of every processor, whether a fleet started it or a person did. */
export function addSharedRunOptions(cmd: Command, zkDefault = 'default: start a local one for this run'): Command {
  return cmd
    .option('--zk <connect>', `ZooKeeper ensemble, e.g. 10.0.0.1:2181,10.0.0.2:2181 [SPAMZK_ZK]; ${zkDefault}`)
    .option('--zk-root <path>', `root znode of the fleet [SPAMZK_ZK_ROOT] (default ${DEFAULT_ROOT})`)
    .option('--batch-size <n>', 'messages per batch [SPAMZK_BATCH_SIZE] (default 250)')
    .option('-m, --model <file>', 'model file [SPAMZK_MODEL] (default: the shipped model)')
    .option('--session-timeout <duration>', 'ZooKeeper session timeout [SPAMZK_SESSION_TIMEOUT] (default 10s)')
    .option('--stale-after <duration>', 'reclaim a live claim without progress for this long [SPAMZK_STALE_AFTER] (default 60s)')
    .option('--max-attempts <n>', 'attempts before a batch is quarantined [SPAMZK_MAX_ATTEMPTS] (default 3)')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent [SPAMZK_LOG_LEVEL] (default info)')
    .option('--imap-max-connections <n>', 'IMAP only: connections the whole fleet may open on the account, held as ZooKeeper leases [SPAMZK_IMAP_MAX_CONNECTIONS] (default: per process only)')
    .option('--metrics-port <port>', 'serve Prometheus /metrics on this port; with -p, local processor k uses port + k [SPAMZK_METRICS_PORT]')
    .option('--model-store <dir>', 'with --learn: content-addressed store of learned models; shared storage on a multi-machine fleet [SPAMZK_MODEL_STORE] (default ~/.spamzk/models)')
    .option('--metrics-host <addr>', 'address the metrics server binds [SPAMZK_METRICS_HOST] (default 127.0.0.1)')
    .option('-c, --config <file>', 'JSON config file with any of these settings [SPAMZK_CONFIG]');
}

/** Flags of a run of local processors: how many, the cadence, the report. */
export function addFleetOptions(cmd: Command): Command {
  return cmd
    .option('-p, --processors <n>', 'processor processes on this machine [SPAMZK_PROCESSORS] (default 2)')
    .option('--every <duration>', 'cadence: look for new mail this often and process it [SPAMZK_EVERY]')
    .option('--passes <n>', 'with --every: stop after this many passes (default: until interrupted)')
    .option('--report-dir <dir>', 'where report.json/.md/.html go [SPAMZK_REPORT_DIR] (default reports/<job>)')
    .option('--no-progress', 'no progress bar even on a terminal [SPAMZK_PROGRESS=false]')
    .option('--json', 'print report.json instead of report.md on stdout');
}

/** `replay` and `run`: both sets. */
export function addRunOptions(cmd: Command): Command {
  return addFleetOptions(addSharedRunOptions(cmd));
}

/** Only the flags a user actually gave (commander fills in --no-progress's default). */
export function givenFlags(cmd: Command): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(cmd.opts())) {
    if (cmd.getOptionValueSource(name) === 'cli') flags[name] = value;
  }
  return flags;
}
