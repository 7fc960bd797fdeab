/**
 * Private ZooKeeper servers (standalone or a 3-node ensemble) on 127.0.0.1,
 * started from the Debian package's jar with a data directory of their own.
 *
 * A server counts as ready only when the `srvr` four-letter word answers with
 * a `Mode:` line: a client that connects earlier can hang for ever (server NPE
 * during start-up plus no handshake timeout in node-zookeeper-client).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  askTcp,
  freePorts,
  ServerStartError,
  spawnServer,
  stopServer,
  waitUntil,
  type SpawnedServer,
} from './process.js';

const JARS = [
  '/usr/share/java/zookeeper.jar',
  '/usr/share/java/slf4j-log4j12.jar',
  '/usr/share/java/log4j-1.2.jar',
];

export interface ZkNode {
  readonly id: number;
  readonly clientPort: number;
  readonly dir: string;
  /** The running process, or undefined while the node is stopped. */
  server: SpawnedServer | undefined;
}

export interface ZooKeeperCluster {
  /** e.g. "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183" */
  readonly connectString: string;
  readonly nodes: readonly ZkNode[];
  readonly tickTimeMs: number;
  /** Stops every node (SIGTERM, then SIGKILL) by its PID. */
  stop(): Promise<void>;
  stopNode(id: number): Promise<void>;
  /** Sends `signal` (default SIGKILL) and waits for the exit. */
  killNode(id: number, signal?: NodeJS.Signals): Promise<void>;
  /** Restarts a stopped node with its old data and waits until it serves. */
  startNode(id: number): Promise<void>;
  /** The id of the node whose `srvr` says `Mode: leader` (or standalone). */
  leaderId(): Promise<number | undefined>;
}

export interface StartZooKeeperOptions {
  nodes?: 1 | 3;
  /** Parent directory for data and logs; a fresh temp dir by default, removed again by stop(). */
  baseDir?: string;
  /** Small ticks allow small session timeouts (bounded to [2, 20] × tickTime). */
  tickTimeMs?: number;
  readyTimeoutMs?: number;
  /** Extra JVM flags, e.g. `-Dzookeeper.enforceQuota=true`. */
  jvmFlags?: string[];
}

/** Reads the `Mode:` of a server, or undefined if it does not serve yet. */
export async function zkMode(port: number): Promise<string | undefined> {
  const reply = await askTcp(port, 'srvr', 1_000);
  return /^Mode: (\S+)/m.exec(reply)?.[1];
}

export async function startZooKeeper(opts: StartZooKeeperOptions = {}): Promise<ZooKeeperCluster> {
  const count = opts.nodes ?? 1;
  const tickTimeMs = opts.tickTimeMs ?? 500;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const baseDir = opts.baseDir ?? mkdtempSync(join(tmpdir(), 'spamzk-zk-'));
  // A temp dir we made is ours to remove: every local run would otherwise
  // leave a /tmp/spamzk-zk-* behind. A caller's --dir is the caller's.
  const ownedDir = opts.baseDir === undefined ? baseDir : undefined;
  const ports = await freePorts(count * 3);
  const nodes: ZkNode[] = [];
  for (let i = 0; i < count; i++) {
    const id = i + 1;
    const dir = join(baseDir, `node${id}`);
    nodes.push({ id, clientPort: ports[i * 3]!, dir, server: undefined });
  }
  const servers =
    count > 1 ? nodes.map((n, i) => `server.${n.id}=127.0.0.1:${ports[i * 3 + 1]}:${ports[i * 3 + 2]}`) : [];
  for (const node of nodes) writeNodeConfig(node, tickTimeMs, servers);

  const cluster = new Cluster(nodes, tickTimeMs, readyTimeoutMs, ownedDir, opts.jvmFlags ?? []);
  try {
    for (const node of nodes) cluster.spawn(node);
    await Promise.all(nodes.map((n) => cluster.waitServing(n)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

function writeNodeConfig(node: ZkNode, tickTimeMs: number, servers: string[]): void {
  const dataDir = join(node.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const cfg = [
    `tickTime=${tickTimeMs}`,
    'initLimit=20',
    'syncLimit=10',
    `dataDir=${dataDir}`,
    `clientPort=${node.clientPort}`,
    'clientPortAddress=127.0.0.1',
    'maxClientCnxns=0',
    '4lw.commands.whitelist=srvr,mntr,ruok',
    'admin.enableServer=false',
    // Snapshots every 10k txns keep the data dir small on long benchmarks.
    'snapCount=10000',
    'autopurge.snapRetainCount=3',
    ...servers,
  ];
  writeFileSync(join(node.dir, 'zoo.cfg'), cfg.join('\n') + '\n');
  if (servers.length > 0) writeFileSync(join(dataDir, 'myid'), `${node.id}\n`);
  writeFileSync(
    join(node.dir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, FILE',
      'log4j.appender.FILE=org.apache.log4j.FileAppender',
      `log4j.appender.FILE.File=${join(node.dir, 'zookeeper.log')}`,
      'log4j.appender.FILE.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %-5p [%t] %c{1}: %m%n',
    ].join('\n') + '\n',
  );
}

class Cluster implements ZooKeeperCluster {
  readonly connectString: string;

  constructor(
    readonly nodes: ZkNode[],
    readonly tickTimeMs: number,
    private readonly readyTimeoutMs: number,
    private readonly ownedDir: string | undefined,
    private readonly jvmFlags: string[],
  ) {
    this.connectString = nodes.map((n) => `127.0.0.1:${n.clientPort}`).join(',');
  }

  spawn(node: ZkNode): void {
    node.server = spawnServer({
      name: `zookeeper node ${node.id}`,
      command: 'java',
      args: [
        '-Xmx256m',
        '-cp',
        [node.dir, ...JARS].join(':'),
        `-Dlog4j.configuration=file:${join(node.dir, 'log4j.properties')}`,
        '-Dzookeeper.admin.enableServer=false',
        ...this.jvmFlags,
        'org.apache.zookeeper.server.quorum.QuorumPeerMain',
        join(node.dir, 'zoo.cfg'),
      ],
      logFile: join(node.dir, 'stdout.log'),
    });
  }

  async waitServing(node: ZkNode): Promise<void> {
    const server = node.server;
    if (!server) throw new ServerStartError(`zookeeper node ${node.id} is not running`);
    let exited = false;
    void server.exited.then(() => (exited = true));
    await waitUntil(
      `ZooKeeper node ${node.id} on 127.0.0.1:${node.clientPort} (log: ${node.dir}/zookeeper.log)`,
      async () => {
        if (exited) throw new ServerStartError(`ZooKeeper node ${node.id} exited during start-up; see ${server.logFile}`);
        return (await zkMode(node.clientPort)) !== undefined;
      },
      this.readyTimeoutMs,
    );
  }

  private node(id: number): ZkNode {
    const node = this.nodes.find((n) => n.id === id);
    if (!node) throw new RangeError(`no ZooKeeper node ${id} (have ${this.nodes.map((n) => n.id).join(', ')})`);
    return node;
  }

  /** Stops every node; removes the data directory when startZooKeeper made it. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.stopNode(n.id)));
    if (this.ownedDir !== undefined) rmSync(this.ownedDir, { recursive: true, force: true });
  }

  async stopNode(id: number): Promise<void> {
    const node = this.node(id);
    if (node.server) {
      // A node a test paused with SIGSTOP would sit out the SIGTERM grace period.
      if (node.server.child.exitCode === null && node.server.child.signalCode === null) node.server.child.kill('SIGCONT');
      await stopServer(node.server);
    }
    node.server = undefined;
  }

  async killNode(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.node(id);
    const server = node.server;
    if (!server) return;
    server.child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') {
      await server.exited;
      node.server = undefined;
    }
  }

  async startNode(id: number): Promise<void> {
    const node = this.node(id);
    if (node.server) return;
    this.spawn(node);
    await this.waitServing(node);
  }

  async leaderId(): Promise<number | undefined> {
    for (const node of this.nodes) {
      if (!node.server) continue;
      const mode = await zkMode(node.clientPort).catch(() => undefined);
      if (mode === 'leader' || mode === 'standalone') return node.id;
    }
    return undefined;
  }
}
