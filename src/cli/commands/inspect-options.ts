/**
 * What `status` and `report` share: a connection to the fleet's ensemble
 * (they read a job from any machine) and the choice of job.
 */
import type { Command } from 'commander';
import { DEFAULT_ROOT, listJobs, ZkSession } from '../../coordination/index.js';
import { zkAuthFromEnv } from '../zk-auth.js';
import { ConfigError } from '../config.js';
import { checkConnectString, checkZnodePath } from '../validate.js';

export interface InspectFlags {
  zk?: string;
  zkRoot?: string;
  job?: string;
  json?: boolean;
}

export function addInspectOptions(cmd: Command): Command {
  return cmd
    .option('--zk <connect>', 'the fleet\'s ZooKeeper ensemble [SPAMZK_ZK]')
    .option('--zk-root <path>', `root znode of the fleet [SPAMZK_ZK_ROOT] (default ${DEFAULT_ROOT})`)
    .option('--job <id>', 'job id (default: the only job, or the list of jobs)')
    .option('--json', 'machine-readable output');
}

export interface Inspection {
  session: ZkSession;
  root: string;
}

/** The ensemble and root named by flags or environment, checked (ConfigError naming the setting). */
export function fleetAddress(flags: InspectFlags): { connectString: string; root: string } {
  const connectString = flags.zk ?? process.env.SPAMZK_ZK;
  if (!connectString) throw new ConfigError('name the fleet\'s ZooKeeper with --zk HOST:PORT[,HOST:PORT...] or SPAMZK_ZK');
  checkConnectString(connectString, flags.zk !== undefined ? '--zk' : 'SPAMZK_ZK');
  const root = flags.zkRoot ?? process.env.SPAMZK_ZK_ROOT ?? DEFAULT_ROOT;
  checkZnodePath(root, flags.zkRoot !== undefined ? '--zk-root' : 'SPAMZK_ZK_ROOT');
  return { connectString, root };
}

/** Opens a session on the fleet's ensemble, runs `use`, closes it. */
export async function inspect<T>(flags: InspectFlags, use: (i: Inspection) => Promise<T>): Promise<T> {
  const { connectString, root } = fleetAddress(flags);
  const session = new ZkSession({ connectString, auth: await zkAuthFromEnv() });
  await session.start();
  try {
    return await use({ session, root });
  } finally {
    await session.close();
  }
}

/**
 * The job named by --job, or the only job there is. A --job that names no job
 * is a usage error (exit 2, as kafka-consumer-groups treats an unknown group),
 * with the jobs there are, never a raw NO_NODE.
 */
export async function chooseJob(i: Inspection, job: string | undefined): Promise<string | undefined> {
  const jobs = await listJobs(i.session, i.root);
  if (job === undefined) return jobs.length === 1 ? jobs[0]!.jobId : undefined;
  if (jobs.some((j) => j.jobId === job)) return job;
  const known = jobs.map((j) => `${j.jobId} (${j.complete ? 'complete' : 'running'}, ${j.batchCount} batch${j.batchCount === 1 ? '' : 'es'})`);
  throw new ConfigError(
    `job ${job} not found under ${i.root} on ${i.session.connectString}: ` +
      (known.length === 0 ? 'there are no jobs there' : `the jobs there are ${known.join(', ')}`),
  );
}
