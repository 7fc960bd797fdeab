/**
 * A private ZooKeeper for one test file: started before its tests with an
 * admin session, stopped after them with its data folder removed. Tests read
 * `zoo.zk` and `zoo.session` inside their bodies (they exist from beforeAll on).
 */
import { afterAll, beforeAll } from 'vitest';
import { ZkSession } from '../../src/coordination/index.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { tempDirs } from './temp-dirs.js';

export interface ZooKeeperFixture {
  readonly zk: ZooKeeperCluster;
  readonly session: ZkSession;
}

export function useZooKeeper(opts: { nodes?: 1 | 3; prefix: string }): ZooKeeperFixture {
  const temp = tempDirs();
  let zk: ZooKeeperCluster | undefined;
  let session: ZkSession | undefined;
  beforeAll(async () => {
    zk = await startZooKeeper({ nodes: opts.nodes ?? 1, baseDir: temp.make(opts.prefix) });
    session = new ZkSession({ connectString: zk.connectString });
    await session.start();
  }, 60_000);
  afterAll(async () => {
    await session?.close();
    await zk?.stop();
    temp.removeAll();
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the test ZooKeeper's ${what} is used before beforeAll started it`);
    return value;
  };
  return {
    get zk() { return started(zk, 'cluster'); },
    get session() { return started(session, 'session'); },
  };
}
