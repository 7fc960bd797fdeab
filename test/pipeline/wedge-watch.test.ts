import { describe, expect, it } from 'vitest';
import { ClaimLostError, WorkerStalledError } from '../../src/coordination/index.js';
import { SourceWedgedError, watchForWedge } from '../../src/pipeline/wedge-watch.js';

const GRACE_MS = 60;
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function watched(): { controller: AbortController; wedged: SourceWedgedError[]; settled: () => void } {
  const controller = new AbortController();
  const wedged: SourceWedgedError[] = [];
  const settled = watchForWedge(controller.signal, (err) => wedged.push(err), GRACE_MS);
  return { controller, wedged, settled };
}

describe('wedge watch: a stalled worker that ignores its abort stops the processor, one that settles does not', () => {
  it('a stalled worker that settles within the grace period is not a wedge', async () => {
    const w = watched();
    w.controller.abort(new WorkerStalledError(3, 16_000));
    await pause(GRACE_MS / 3);
    w.settled();
    await pause(GRACE_MS * 2);
    expect(w.wedged).toEqual([]);
  });

  it('a stalled worker still running after the grace period is a wedge, named with its stall', async () => {
    const w = watched();
    w.controller.abort(new WorkerStalledError(3, 16_000));
    await pause(GRACE_MS * 2);
    expect(w.wedged).toHaveLength(1);
    expect(w.wedged[0]).toBeInstanceOf(SourceWedgedError);
    expect(w.wedged[0]!.message).toMatch(/worker on batch 3 made no progress for 16000 ms.*ignored the abort for 0\.06 s/);
    w.settled();
  });

  it('other aborts (claim lost, release) are not stalls: no wedge even if the worker lingers', async () => {
    const w = watched();
    w.controller.abort(new ClaimLostError(3, 'heartbeat failed'));
    await pause(GRACE_MS * 2);
    expect(w.wedged).toEqual([]);
    w.settled();
  });
});
