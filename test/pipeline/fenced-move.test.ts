/**
 * A processor whose claim was reclaimed moves no mail: its verdicts wait for
 * a commit that is fenced out (real ZooKeeper, real Dovecot, the pipeline's
 * MovesAfterCommit following real coordination Processors).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Processor, type Batch } from '../../src/coordination/index.js';
import { MovesAfterCommit } from '../../src/pipeline/moves.js';
import { loadMailbox, startDovecot, stopDovecot, type DovecotServer } from '../../src/servers/dovecot.js';
import { startZooKeeper, type ZooKeeperCluster } from '../../src/servers/zookeeper.js';
import { ImapSource, Secret } from '../../src/sources/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { recordingLogger } from './support.js';

const USER = 'fenced-mover';
const PASSWORD = 'fenced move password 0d2e';
const temp = tempDirs();
let zk: ZooKeeperCluster;
let dovecot: DovecotServer;

beforeAll(async () => {
  [zk, dovecot] = await Promise.all([
    startZooKeeper({ nodes: 1, tickTimeMs: 500, baseDir: temp.make('spamzk-fenced-move-zk-') }),
    startDovecot({ dir: temp.make('spamzk-fenced-move-dovecot-'), users: [{ name: USER, password: PASSWORD }], junk: { name: 'Junk', autoCreate: true } }),
  ]);
  const raw = (uid: number): Buffer => Buffer.from(`From: a${uid}@example.org\r\nSubject: offer ${uid}\r\n\r\nbody ${uid}\r\n`);
  loadMailbox(dovecot, { user: USER, uidValidity: 21, messages: Array.from({ length: 8 }, (_, i) => ({ uid: i + 1, raw: raw(i + 1) })) });
}, 60_000);

afterAll(async () => {
  await Promise.all([zk?.stop(), dovecot && stopDovecot(dovecot)]);
  temp.removeAll();
});

function moveSource(): ImapSource {
  return new ImapSource({ url: `imap://${USER}@127.0.0.1:${dovecot.imapPort}/INBOX`, password: new Secret(PASSWORD), allowPlaintext: true, writeBack: 'move' });
}

const keysOf = (b: Batch): number[] => Array.from({ length: b.last - b.first + 1 }, (_, i) => b.first + i);

it("a stuck processor's spam verdicts are never moved once its claim is reclaimed and its commit fenced; committed ones are", async () => {
  const plan: Batch[] = [0, 1, 2, 3].map((index) => ({ index, first: index * 2 + 1, last: index * 2 + 2, count: 2 }));
  const spec = { jobId: 'job-fenced-move', sourceId: 'fenced-move', modelId: 'none', batchSize: 2 };
  const options = { connectString: zk.connectString, root: '/fenced-move', sessionTimeoutMs: 4_000, staleAfterMs: 1_500, idlePollMs: 100 };
  const [sourceA, sourceB] = [moveSource(), moveSource()];
  await Promise.all([sourceA.open(), sourceB.open()]);
  const log = recordingLogger();
  const stuck = new Processor({ ...options, processorId: 'stuck' });
  const helper = new Processor({ ...options, processorId: 'helper' });
  const [movesA, movesB] = [new MovesAfterCommit(sourceA, log).follow(stuck), new MovesAfterCommit(sourceB, log).follow(helper)];
  let stuckBatch: Batch | undefined;
  try {
    const stuckRun = stuck.run({ spec, plan: () => plan }, async (b, ctx) => {
      // It judged its batch spam, then stalled past staleAfter (reclaimed meanwhile), ignoring its signal.
      movesA.hold(b.index, ctx.claimSeq, keysOf(b));
      if (!stuckBatch) {
        stuckBatch = b;
        await new Promise((r) => setTimeout(r, 4_500));
      }
      return Buffer.from('stuck');
    });
    while (!stuckBatch) await new Promise((r) => setTimeout(r, 20));
    // The helper, which commits the stuck batch in its place, judges it ham; the other batches spam.
    const helperRun = helper.run({ spec }, async (b, ctx) => {
      movesB.hold(b.index, ctx.claimSeq, b.index === stuckBatch!.index ? [] : keysOf(b));
      return Buffer.from('helper');
    });
    const [a, b] = await Promise.all([stuckRun, helperRun]);
    await Promise.all([movesA.settle(), movesB.settle()]);
    expect(b.reclaimed).toBeGreaterThanOrEqual(1);
    expect(a.fenced).toBe(1);
    const left = await sourceB.listKeys();
    // Only the stuck batch's keys stay: its spam verdict was never committed.
    expect(left).toEqual(keysOf(stuckBatch!));
  } finally {
    await Promise.all([sourceA.close(), sourceB.close()]);
  }
}, 60_000);
