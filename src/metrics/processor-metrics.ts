/**
 * One processor's Prometheus metrics, in a registry of its own (each process
 * serves its own /metrics; a local fleet's children each listen on a port of
 * their own). Every series carries the `job` and `processor` labels, set once
 * the processor knows its job (`bind`); until then the registry is not ready
 * and the server answers 503, so no series ever appears without them.
 *
 * Batch counts come from the coordination Processor's typed events only.
 * Messages by verdict are counted when their batch is committed, never when
 * it is merely classified: a fenced or abandoned attempt's verdicts are not
 * stored, so the counters equal the job's report.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Batch, ProcessorEvents } from '../coordination/index.js';

/** Seconds; batches of 250 messages take ~10 ms to ~2 s per stage here. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const VERDICTS = ['spam', 'ham', 'unsure', 'failed'] as const;
export type VerdictName = (typeof VERDICTS)[number];

/** What a processor emits, as far as metrics need (the coordination Processor fits it). */
export interface ProcessorEventSource {
  on<K extends keyof ProcessorEvents & string>(event: K, listener: (...args: ProcessorEvents[K]) => void): unknown;
}

export interface MetricsLabels {
  readonly job: string;
  readonly processor: string;
  readonly modelId: string;
}

/** One attempt's work, held until its batch is committed (or dropped when it is not). */
export interface BatchWork {
  readonly fetchMs: number;
  readonly classifyMs: number;
  readonly verdicts: Readonly<Record<VerdictName, number>>;
}

export class MetricsStateError extends Error {
  readonly code = 'METRICS_STATE';
  constructor(message: string) {
    super(message);
    this.name = 'MetricsStateError';
  }
}

export class ProcessorMetrics {
  readonly registry = new Registry();
  #bound = false;
  /** Verdict counts of attempts in hand, by batch index: claimSeq identifies the attempt. */
  readonly #pending = new Map<number, { claimSeq: number; verdicts: BatchWork['verdicts'] }>();

  readonly #claimed = this.#counter('spamzk_batches_claimed_total', 'Batches this processor claimed (attempts started).');
  readonly #committed = this.#counter('spamzk_batches_committed_total', 'Batches this processor committed (done markers written).');
  readonly #fenced = this.#counter('spamzk_batches_fenced_total', 'Commits fenced out: another processor owned the batch by then.');
  readonly #reclaimed = this.#counter('spamzk_batches_reclaimed_total', "Stale claims of other processors this processor reclaimed.");
  readonly #quarantined = this.#counter('spamzk_batches_quarantined_total', 'Batches this processor quarantined after too many failed attempts.');
  readonly #sessionsLost = this.#counter('spamzk_sessions_lost_total', 'ZooKeeper sessions this processor lost.');
  readonly #messages = new Counter({
    name: 'spamzk_messages_total',
    help: 'Messages of committed batches, by verdict.',
    labelNames: ['verdict'],
    registers: [this.registry],
  });
  readonly #fetch = this.#histogram('spamzk_fetch_seconds', "Time to fetch one batch's messages from the source.");
  readonly #classify = this.#histogram('spamzk_classify_seconds', "Time to classify one batch's messages.");
  readonly #commit = this.#histogram('spamzk_commit_seconds', 'Time of the fenced commit of one batch (one ZooKeeper multi).');
  readonly #session = new Gauge({
    name: 'spamzk_session_state',
    help: "1 while the processor's ZooKeeper session is live, 0 after it was lost until a new one starts.",
    registers: [this.registry],
  });
  readonly #model = new Gauge({
    name: 'spamzk_model_info',
    help: 'The model the processor classifies with (always 1; its id is the label).',
    labelNames: ['model_id'],
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    for (const verdict of VERDICTS) this.#messages.inc({ verdict }, 0);
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'spamzk_process_' });
  }

  /** True once `bind` gave the series their labels. */
  get ready(): boolean {
    return this.#bound;
  }

  /** Labels every series with the job and processor, and records the model. Once only. */
  bind(labels: MetricsLabels): void {
    if (this.#bound) throw new MetricsStateError('ProcessorMetrics.bind() called twice: one registry serves one processor of one job');
    this.#bound = true;
    this.registry.setDefaultLabels({ job: labels.job, processor: labels.processor });
    this.#model.set({ model_id: labels.modelId }, 1);
  }

  /** Counts the processor's batch events. Call before its run() starts. */
  watch(processor: ProcessorEventSource): void {
    processor.on('claimed', () => this.#claimed.inc());
    processor.on('committed', (e) => this.#onCommitted(e.batch, e.claimSeq, e.commitMs));
    processor.on('fenced', (e) => {
      this.#fenced.inc();
      this.#pending.delete(e.batch);
    });
    processor.on('failed', (e) => this.#pending.delete(e.batch));
    processor.on('released', (e) => this.#pending.delete(e.batch));
    processor.on('spared', (e) => this.#pending.delete(e.batch));
    processor.on('reclaimed', () => this.#reclaimed.inc());
    processor.on('quarantined', () => this.#quarantined.inc());
    processor.on('sessionStarted', () => this.#session.set(1));
    processor.on('sessionLost', () => {
      this.#session.set(0);
      this.#sessionsLost.inc();
    });
  }

  /** One attempt's fetch and classification are done; its verdicts count once the batch commits. */
  batchWorked(batch: number, claimSeq: number, work: BatchWork): void {
    this.#fetch.observe(work.fetchMs / 1000);
    this.#classify.observe(work.classifyMs / 1000);
    this.#pending.set(batch, { claimSeq, verdicts: work.verdicts });
  }

  /** The Prometheus text exposition of the registry. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  #onCommitted(batch: Batch, claimSeq: number, commitMs: number): void {
    this.#committed.inc();
    this.#commit.observe(commitMs / 1000);
    const work = this.#pending.get(batch.index);
    this.#pending.delete(batch.index);
    if (work?.claimSeq !== claimSeq) return;
    for (const verdict of VERDICTS) if (work.verdicts[verdict] > 0) this.#messages.inc({ verdict }, work.verdicts[verdict]);
  }

  #counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  #histogram(name: string, help: string): Histogram {
    return new Histogram({ name, help, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  }
}

/** Verdict counts of a batch's messages. */
export function countVerdicts(messages: readonly { verdict: VerdictName }[]): Record<VerdictName, number> {
  const counts: Record<VerdictName, number> = { spam: 0, ham: 0, unsure: 0, failed: 0 };
  for (const m of messages) counts[m.verdict]++;
  return counts;
}
