/**
 * The processor's side of the job control (control.ts): it follows the
 * control node on every session, tells the processor's listeners about each
 * new version (they apply its settings), acknowledges the version in the
 * processor's registration node (`controlVersion`, which `status` shows), and
 * answers the work loop's one question before each claim: may I claim?
 */
import zookeeper from 'node-zookeeper-client';
import { isZkError } from './errors.js';
import { ControlWatch, type ControlSnapshot, type ControlState } from './control.js';
import type { JobPaths } from './paths.js';
import { encodeJson, type StoredProcessor } from './records.js';
import type { ZkSession } from './session.js';

export interface ControlGateHooks {
  /** A new control version; called synchronously, before it is acknowledged. */
  applied(control: ControlSnapshot): void;
  /** The state may have changed: wake an idle wait. */
  changed(): void;
  warn(message: string, error?: unknown): void;
}

/**
 * While paused, the control is also re-read this often, in case a watch was
 * lost to a failed read: one getData per paused member per interval.
 */
export const PAUSED_REREAD_MS = 10_000;

export class ControlGate {
  private readonly watch: ControlWatch;
  private registration: { session: ZkSession; info: StoredProcessor; version: number } | undefined;
  private acking: Promise<void> = Promise.resolve();

  constructor(
    private readonly paths: JobPaths,
    private readonly processorId: string,
    private readonly hooks: ControlGateHooks,
  ) {
    this.watch = new ControlWatch(paths);
    this.watch.on('change', (control) => this.onChange(control));
    this.watch.on('error', (err) => hooks.warn(`could not re-read the job control ${paths.control}`, err));
  }

  get state(): ControlState {
    return this.watch.current.state;
  }

  get claimsAllowed(): boolean {
    return this.state === 'running';
  }

  /** The newest control version seen and applied (-1: none written). */
  get appliedVersion(): number {
    return this.watch.current.version;
  }

  /** Follows the control on `s` (a no-op if it already does). */
  async follow(s: ZkSession): Promise<void> {
    if (this.followed !== s) {
      await this.watch.follow(s);
      this.followed = s;
    }
  }
  private followed: ZkSession | undefined;

  /** The processor registered on `s` with `info` (its `controlVersion` included) in its registration node. */
  registeredWith(s: ZkSession, info: StoredProcessor): void {
    this.registration = { session: s, info, version: info.controlVersion ?? -1 };
  }

  /** Writes the applied version into the registration on `s` if it is not there yet. */
  acknowledge(s: ZkSession): Promise<void> {
    const r = this.registration;
    if (!r || r.session !== s || r.version === this.appliedVersion) return this.acking;
    // One write at a time, in order: a slow older ack must not overwrite a newer one.
    this.acking = this.acking.then(() => this.writeAck(s));
    return this.acking;
  }

  /** Waits for the control to change or one of `wakers` to abort (session lost, processor stopping or draining). */
  async waitWhilePaused(wakers: AbortSignal[]): Promise<void> {
    const wake = AbortSignal.any(wakers);
    const reread = new AbortController();
    const either = AbortSignal.any([wake, reread.signal]);
    const timer = setTimeout(() => reread.abort(), PAUSED_REREAD_MS);
    await this.watch.nextChange(either);
    clearTimeout(timer);
    if (reread.signal.aborted && !wake.aborted) this.followed = undefined; // re-read on the next follow()
  }

  close(): void {
    this.watch.close();
  }

  private onChange(control: ControlSnapshot): void {
    try {
      this.hooks.applied(control);
    } catch (err) {
      this.hooks.warn(`applying job control version ${control.version} failed`, err);
    }
    this.hooks.changed();
    const r = this.registration;
    if (r?.session.alive) this.acknowledge(r.session).catch((err: unknown) => this.hooks.warn('could not acknowledge the job control', err));
  }

  private async writeAck(s: ZkSession): Promise<void> {
    const r = this.registration;
    const version = this.appliedVersion;
    if (!r || r.session !== s || !s.alive || r.version === version) return;
    // The node is this session's own ephemeral, written only by this processor: no read first.
    const path = this.paths.processor(this.processorId);
    try {
      await s.setData(path, encodeJson({ ...r.info, controlVersion: version }), -1);
      r.version = version;
    } catch (err) {
      // Gone with its session: the registration on the next session carries the version.
      if (isZkError(err, zookeeper.Exception.NO_NODE)) return;
      throw err;
    }
  }
}

