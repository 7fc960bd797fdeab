/**
 * Error codes that node-zookeeper-client's 3.4-era table lacks, from a real
 * ZooKeeper 3.8 with quotas enforced (-Dzookeeper.enforceQuota=true and a
 * hard count quota): the library used to throw "Unknown code: -125" from its
 * socket handler, which killed the process. Now it is an ordinary failed
 * request with a typed error naming the code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zookeeper from 'node-zookeeper-client';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { ZkOperationError, ZkSession } from '../../src/coordination/index.js';

let zk: ZooKeeperCluster;
let s: ZkSession;
const { CreateMode } = zookeeper;

beforeAll(async () => {
  zk = await startZooKeeper({ nodes: 1, jvmFlags: ['-Dzookeeper.enforceQuota=true'] });
  s = new ZkSession({ connectString: zk.connectString });
  await s.start();
  // What `setquota -N 2 /q` writes: a hard limit of 2 nodes under /q (itself included).
  await s.create('/q', Buffer.alloc(0), CreateMode.PERSISTENT);
  await s.create('/zookeeper/quota/q', Buffer.alloc(0), CreateMode.PERSISTENT);
  await s.create('/zookeeper/quota/q/zookeeper_limits', Buffer.from('countHardLimit=2'), CreateMode.PERSISTENT);
  await s.create('/zookeeper/quota/q/zookeeper_stats', Buffer.from('count=1,bytes=0'), CreateMode.PERSISTENT);
  await s.create('/q/first', Buffer.alloc(0), CreateMode.PERSISTENT);
});

afterAll(async () => {
  await s?.close();
  await zk?.stop();
});

describe('error codes the client library does not know', () => {
  it('a create over a hard quota (-125 QUOTA_EXCEEDED) fails as a typed error naming the code; the session carries on', async () => {
    const err = await s.create('/q/second', Buffer.alloc(0), CreateMode.PERSISTENT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZkOperationError);
    expect(err).toMatchObject({ code: 'ZK_QUOTA_EXCEEDED', zkCode: -125, op: 'create', path: '/q/second' });
    expect((err as Error).message).toContain('QUOTA_EXCEEDED (code -125)');
    expect(s.alive).toBe(true);
    expect(await s.exists('/q/first')).toBeDefined();
    expect(await s.getChildren('/q')).toEqual(['first']);
  });

  it('the same inside a multi fails the whole multi with the typed error', async () => {
    const err = await s
      .multi('create over quota', (tx) => {
        tx.create('/q/third', Buffer.alloc(0), s.acl, CreateMode.PERSISTENT);
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZkOperationError);
    expect(err).toMatchObject({ code: 'ZK_QUOTA_EXCEEDED', zkCode: -125 });
    expect(await s.getChildren('/q')).toEqual(['first']);
  });
});
