/**
 * Steering a running job from any machine, through its control znode
 * (src/coordination/control.ts): `pause`, `resume`, `drain`, and
 * `config get|set` for the live settings (src/pipeline/live-settings.ts).
 * Every change is a compare-and-set; its version is printed and `status`
 * shows it, with the version each live processor has applied.
 */
import { hostname, userInfo } from 'node:os';
import { Command } from 'commander';
import { changeControl, JobPaths, listJobs, readControl, readJobStatus, type ControlSnapshot, type ControlState } from '../../coordination/index.js';
import { parseLiveSettings, LIVE_SETTING_NAMES } from '../../pipeline/index.js';
import { reportError } from '../command-errors.js';
import { ConfigError } from '../config.js';
import { EXIT } from '../exit-codes.js';
import { inspect, type InspectFlags, type Inspection } from './inspect-options.js';

type ControlFlags = Omit<InspectFlags, 'job'> & { wait?: boolean };

/** How long --wait waits for every live processor to acknowledge a change. */
const ACK_WAIT_MS = 10_000;

export function registerControl(program: Command): void {
  const states: Array<[string, ControlState, string]> = [
    ['pause', 'paused', 'stop new claims fleet-wide (batches in hand finish and commit); members stay up'],
    ['resume', 'running', 'let a paused or drained job claim again (rerun the command of a drained job)'],
    ['drain', 'draining', 'members finish the batch in hand, then exit 0; the job stays resumable'],
  ];
  for (const [name, state, description] of states) {
    const cmd = withOptions(new Command(name).description(description).argument('<job>', 'job id (spamzk status lists them)'));
    cmd.action((job: string, flags: ControlFlags) => act(flags, (i) => setState(i, job, state, flags)));
    program.addCommand(cmd);
  }
  const config = new Command('config').description('live settings of a job, applied by every member within a second, no restart');
  const get = withOptions(new Command('get').description('show the job\'s control: state, settings, version').argument('<job>', 'job id'));
  get.action((job: string, flags: ControlFlags) => act(flags, (i) => getControl(i, job, flags)));
  const set = withOptions(
    new Command('set')
      .description(`change live settings: ${LIVE_SETTING_NAMES.join(', ')} (e.g. imapRate=5/s imapConnections=3)`)
      .argument('<job>', 'job id')
      .argument('<setting...>', 'name=value pairs'),
  );
  set.action((job: string, pairs: string[], flags: ControlFlags) => {
    // Validated before connecting: a bad key or value writes nothing.
    let settings: Record<string, string>;
    try {
      settings = parseAssignments(pairs);
    } catch (err) {
      process.exitCode = reportError(err);
      return Promise.resolve();
    }
    return act(flags, (i) => setSettings(i, job, settings, flags));
  });
  config.addCommand(get).addCommand(set);
  program.addCommand(config);
}

function withOptions(cmd: Command): Command {
  cmd.option('--zk <connect>', 'the fleet\'s ZooKeeper ensemble [SPAMZK_ZK]')
    .option('--zk-root <path>', 'root znode of the fleet [SPAMZK_ZK_ROOT] (default /spamzk)')
    .option('--json', 'machine-readable output')
    .option('--wait', `wait (up to ${ACK_WAIT_MS / 1000} s) until every live processor has applied the change`);
  return cmd;
}

async function act(flags: ControlFlags, use: (i: Inspection) => Promise<void>): Promise<void> {
  try {
    await inspect(flags, use);
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

/** `name=value` pairs, each validated by the layer that applies it. */
export function parseAssignments(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`setting ${JSON.stringify(pair)} must look like name=value (${LIVE_SETTING_NAMES.join(', ')})`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  try {
    parseLiveSettings(out);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return out;
}

async function jobPaths(i: Inspection, job: string): Promise<JobPaths> {
  let p: JobPaths;
  try {
    p = new JobPaths(i.root, job);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (await i.session.exists(p.job)) return p;
  const jobs = (await listJobs(i.session, i.root)).map((j) => j.jobId);
  throw new ConfigError(`job ${JSON.stringify(job)} not found under ${i.root}; ${jobs.length ? `jobs: ${jobs.join(', ')}` : 'there are no jobs'}`);
}

async function setState(i: Inspection, job: string, state: ControlState, flags: ControlFlags): Promise<void> {
  const p = await jobPaths(i, job);
  const before = await readControl(i.session, p);
  if (before.state === state) return report(i, p, before, `job ${job} is already ${state}`, flags);
  const after = await changeControl(i.session, p, (c) => ({ ...c, state, changedAt: Date.now(), by: whoAmI() }));
  await report(i, p, after, `job ${job} ${verb(state)}`, flags);
}

async function setSettings(i: Inspection, job: string, settings: Record<string, string>, flags: ControlFlags): Promise<void> {
  const p = await jobPaths(i, job);
  const after = await changeControl(i.session, p, (c) => ({ ...c, settings: { ...c.settings, ...settings }, changedAt: Date.now(), by: whoAmI() }));
  await report(i, p, after, `job ${job} settings changed`, flags);
}

async function getControl(i: Inspection, job: string, flags: ControlFlags): Promise<void> {
  const p = await jobPaths(i, job);
  await report(i, p, await readControl(i.session, p), `job ${job}`, flags);
}

async function report(i: Inspection, p: JobPaths, c: ControlSnapshot, headline: string, flags: ControlFlags): Promise<void> {
  const acks = flags.wait ? await waitForAcks(i, p, c.version) : undefined;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ jobId: p.jobId, control: c, ...(acks ? { acknowledged: acks } : {}) })}\n`);
    return;
  }
  const settings = Object.entries(c.settings).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)';
  const lines = [
    `${headline}: state ${c.state}, control version ${c.version < 0 ? '- (never changed)' : c.version}`,
    `  settings ${settings}`,
    ...(c.version >= 0 ? [`  changed  ${new Date(c.changedAt).toISOString()} by ${c.by}`] : []),
    ...(acks ? [`  applied by ${acks.applied} of ${acks.live} live processors in ${acks.ms} ms${acks.applied < acks.live ? ' (the others have not answered yet)' : ''}`] : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Polls the registrations until every live processor shows `version` (or the wait ends). */
async function waitForAcks(i: Inspection, p: JobPaths, version: number): Promise<{ live: number; applied: number; ms: number }> {
  const started = Date.now();
  for (;;) {
    const { processors } = await readJobStatus(i.session, i.root, p.jobId);
    const applied = processors.filter((x) => (x.controlVersion ?? -1) >= version).length;
    const ms = Date.now() - started;
    if (applied === processors.length || ms > ACK_WAIT_MS) return { live: processors.length, applied, ms };
    await new Promise((r) => setTimeout(r, 50));
  }
}

function verb(state: ControlState): string {
  return state === 'paused' ? 'paused: no new claims (batches in hand finish)' : state === 'draining' ? 'draining: members finish the batch in hand, then exit' : 'resumed';
}

function whoAmI(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container): the host still says where the change came from
  }
  return `${user}@${hostname()}`;
}

