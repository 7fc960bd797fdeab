/**
 * Measures how long the event loop was blocked. ZooKeeper pings and claim
 * heartbeats run on the same loop as classification: a stall near a third of
 * the session timeout would put the session at risk, so it is measured and
 * reported rather than assumed.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export class StallMonitor {
  private histogram: IntervalHistogram | undefined;
  private longestMs = 0;

  start(): void {
    if (this.histogram) throw new Error('StallMonitor already started');
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
  }

  /** Longest stall since the last call (and keeps the overall maximum). */
  takeWindowMaxMs(): number {
    if (!this.histogram) return 0;
    const ms = this.histogram.max / 1e6;
    this.histogram.reset();
    this.longestMs = Math.max(this.longestMs, ms);
    return ms;
  }

  get longestStallMs(): number {
    return Math.max(this.longestMs, (this.histogram?.max ?? 0) / 1e6);
  }

  close(): void {
    this.histogram?.disable();
    this.histogram = undefined;
  }
}
