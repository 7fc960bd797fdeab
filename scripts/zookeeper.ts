/**
 * Starts or stops a private ZooKeeper (standalone or a 3-node ensemble) on
 * 127.0.0.1, for the demo, the benchmarks and manual runs.
 *
 *   npx tsx scripts/zookeeper.ts start [--nodes 1|3] [--tick-ms 500] --dir DIR
 *       starts detached servers, writes DIR/state.json, prints the connect string
 *   npx tsx scripts/zookeeper.ts stop --dir DIR
 *       stops exactly the PIDs recorded in DIR/state.json
 *   npx tsx scripts/zookeeper.ts status --dir DIR
 */
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive, stopPid } from '../src/servers/process.js';
import { startZooKeeper, zkMode } from '../src/servers/zookeeper.js';

interface State {
  connectString: string;
  nodes: { id: number; pid: number; clientPort: number; dir: string }[];
}

const stateFile = (dir: string) => join(dir, 'state.json');

function readState(dir: string): State {
  const file = stateFile(dir);
  if (!existsSync(file)) throw new Error(`no ZooKeeper state in ${file}: nothing was started with --dir ${dir}`);
  return JSON.parse(readFileSync(file, 'utf8')) as State;
}

async function start(opts: { dir: string; nodes: 1 | 3; tickMs: number }): Promise<void> {
  const dir = resolve(opts.dir);
  if (existsSync(stateFile(dir))) {
    const old = readState(dir);
    if (old.nodes.some((n) => isAlive(n.pid))) throw new Error(`ZooKeeper from ${stateFile(dir)} is still running (${old.connectString}); stop it first`);
  }
  mkdirSync(dir, { recursive: true });
  const cluster = await startZooKeeper({ nodes: opts.nodes, baseDir: dir, tickTimeMs: opts.tickMs });
  const state: State = {
    connectString: cluster.connectString,
    nodes: cluster.nodes.map((n) => ({ id: n.id, pid: n.server!.pid, clientPort: n.clientPort, dir: n.dir })),
  };
  writeFileSync(stateFile(dir), JSON.stringify(state, null, 2) + '\n');
  // Detach: the servers outlive this command; `stop --dir` ends them by PID.
  for (const n of cluster.nodes) n.server!.child.unref();
  process.stdout.write(cluster.connectString + '\n');
}

async function stop(opts: { dir: string }): Promise<void> {
  const dir = resolve(opts.dir);
  const state = readState(dir);
  await Promise.all(state.nodes.map((n) => stopPid(n.pid)));
  rmSync(stateFile(dir));
  process.stderr.write(`stopped ZooKeeper ${state.connectString} (pids ${state.nodes.map((n) => n.pid).join(', ')})\n`);
}

async function status(opts: { dir: string }): Promise<void> {
  const state = readState(resolve(opts.dir));
  for (const n of state.nodes) {
    const mode = isAlive(n.pid) ? ((await zkMode(n.clientPort).catch(() => undefined)) ?? 'not serving') : 'stopped';
    process.stdout.write(`node ${n.id} pid ${n.pid} 127.0.0.1:${n.clientPort} ${mode}\n`);
  }
}

function parseNodes(v: string): 1 | 3 {
  if (v !== '1' && v !== '3') throw new InvalidArgumentError('--nodes must be 1 or 3');
  return Number(v) as 1 | 3;
}

const program = new Command('zookeeper').description('private ZooKeeper servers on 127.0.0.1');
program
  .command('start')
  .requiredOption('--dir <dir>', 'data, logs and state.json go here')
  .option('--nodes <n>', '1 (standalone) or 3 (ensemble)', parseNodes, 1)
  .option('--tick-ms <ms>', 'ZooKeeper tickTime; session timeouts are bounded to [2, 20] x tickTime', (v) => Number.parseInt(v, 10), 2000)
  .action(start);
program.command('stop').requiredOption('--dir <dir>', 'the --dir given to start').action(stop);
program.command('status').requiredOption('--dir <dir>', 'the --dir given to start').action(status);

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`zookeeper: ${err.message}\n`);
  process.exitCode = 1;
});
