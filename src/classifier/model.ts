/**
 * SpamModel: two learners over the same decoded message, fused.
 * - Robinson/Fisher over per-token document counts (scoring.ts): learns fast
 *   from few messages.
 * - Online logistic regression over hashed byte 4-grams of the message head,
 *   character 4-grams of its decoded text and the same tokens (online/): wins
 *   once the stream is long.
 * Both learn from every message given to `learn()`, which is what feedback
 * and `spamzk learn` use; training is `learn()` over the messages in order.
 * Scores are kept as unclamped log-odds (Verdict.logOdds); Verdict.score is
 * their logistic, for humans.
 */
import { ClassifierError } from './errors.js';
import { modelId, readModelFile, writeModelFile } from './model-file.js';
import { DEFAULT_MODEL_PATH } from './paths.js';
import { DEFAULT_DECODE_LIMITS, decodeMail, type DecodedMail } from './mime/decode.js';
import { fisherLogOdds, tokenProbability } from './scoring.js';
import { DEFAULT_TOKENIZER_OPTIONS, tokenize } from './tokenizer/index.js';
import { FeatureExtractor } from './online/features.js';
import { TokenCounts } from './token-counts.js';
import { learnLogistic, logOdds } from './online/logistic.js';
import { fusedLogOdds, initialFusion, learnFusion, type Evidence } from './online/fusion.js';
import type { LabelledMessage, ModelOptions, ModelProvenance, ModelState, TrainSource } from './model-types.js';
import { notMailReason, notMailVerdict } from './not-mail.js';
import type { Verdict, VerdictLabel } from './types.js';

export type { LabelledMessage, ModelOptions, ModelProvenance, OnlineOptions, TrainSource } from './model-types.js';

export const DEFAULT_MODEL_OPTIONS: ModelOptions = {
  scoring: {
    // Chosen by scripts/tune-classifier.ts on TRAIN only (docs/design.md, "The classifier").
    robS: 0.03,
    robX: 0.5,
    minDev: 0.1,
    maxClues: 1000,
    spamCutoff: 0.835735,
    hamCutoff: 0.00927846,
  },
  tokenizer: DEFAULT_TOKENIZER_OPTIONS,
  online: {
    bits: 20,
    headBytes: 1500,
    textChars: 40000,
    tokens: true,
    rate: 14,
    margin: 0.35,
    fisherScale: 10,
    fisherWeight: 3,
    fusionRate: 0,
    epochs: 8,
  },
  maxBytes: DEFAULT_DECODE_LIMITS.maxBytes,
};

export interface Clue {
  readonly token: string;
  /** Robinson's f(w): the token's spam probability. */
  readonly probability: number;
  readonly spamCount: number;
  readonly hamCount: number;
}

export interface Explanation {
  readonly verdict: Verdict;
  /** Distinct tokens of the message. */
  readonly tokenCount: number;
  /** The Fisher clues that weighed most, strongest first. */
  readonly clues: Clue[];
}

export interface ClassifyOptions {
  /** Overrides the model's maxBytes for this call. */
  readonly maxBytes?: number;
  /** Override the model's cutoffs for this call (`classify --spam-cutoff/--ham-cutoff`); ham <= spam, both in (0, 1). */
  readonly cutoffs?: { readonly spam: number; readonly ham: number };
}

/** A message as the model sees it: decoded once, then scored and possibly learned. */
interface Observed {
  readonly tokens: string[];
  readonly notes: string[];
  /** A view into the extractor's buffer, valid until the next observe(). */
  readonly features: Uint32Array;
  readonly evidence: Evidence;
  readonly logOdds: number;
}

export class SpamModel {
  #idCache: string | undefined;
  readonly #features: FeatureExtractor;

  constructor(private readonly state: ModelState) {
    this.#features = new FeatureExtractor(state.options.online);
  }

  /** Reads a model file (default: the shipped model); throws ClassifierError naming what is wrong. */
  static load(path: string = DEFAULT_MODEL_PATH): SpamModel {
    return new SpamModel(readModelFile(path));
  }

  /** An untrained model: every message scores 0.5 (log-odds 0) until it learns. */
  static empty(provenance: ModelProvenance, options: ModelOptions = DEFAULT_MODEL_OPTIONS): SpamModel {
    return new SpamModel({
      options, provenance, nSpam: 0, nHam: 0, counts: new TokenCounts(),
      weights: new Float32Array(2 ** options.online.bits), fusion: initialFusion(options.online),
    });
  }

  /**
   * Learns every message once, in the order given (the regression is online:
   * order matters; callers pass arrival order). Deterministic: the same
   * messages in the same order and the same options give the same file and id.
   */
  static train(messages: Iterable<LabelledMessage>, from: TrainSource, options: ModelOptions = DEFAULT_MODEL_OPTIONS): SpamModel {
    const provenance: ModelProvenance = { source: from.source, ...(from.split === undefined ? {} : { split: from.split }), trained: { spam: 0, ham: 0 }, learned: { spam: 0, ham: 0 } };
    const model = SpamModel.empty(provenance, options);
    const trained = { spam: 0, ham: 0 };
    const epochs = options.online.epochs;
    const seen: Array<{ features: Uint32Array; isSpam: boolean }> = [];
    for (const msg of messages) {
      const observed = model.observe(msg.raw);
      model.learnObserved(observed, msg.label);
      if (epochs > 1) seen.push({ features: observed.features.slice(), isSpam: msg.label === 'spam' });
      trained[msg.label]++;
    }
    // Further passes refine only the regression, over the features kept from the
    // first (the counts and the fusion must count each message once).
    for (let e = 1; e < epochs; e++) for (const s of seen) learnLogistic(model.state.weights, s.features, s.isSpam, options.online);
    model.state.provenance = { ...provenance, trained };
    return model;
  }

  /** Writes the model atomically (temp file + rename). */
  save(path: string): void {
    writeModelFile(this.state, path);
  }

  /** The model's content hash (sha256 of its canonical file body); changes when it learns. */
  get id(): string {
    this.#idCache ??= modelId(this.state);
    return this.#idCache;
  }

  get options(): ModelOptions {
    return this.state.options;
  }

  get provenance(): ModelProvenance {
    return this.state.provenance;
  }

  get tokenCount(): number {
    return this.state.counts.size;
  }

  /** Never throws for bad mail: partial or broken input gives a verdict with notes. */
  classify(raw: Buffer, opts: ClassifyOptions = {}): Verdict {
    const seen = this.observe(raw, opts.maxBytes);
    const notMail = notMailReason(raw);
    return notMail ? notMailVerdict(notMail, seen.notes) : this.verdictOf(seen.logOdds, seen.notes, opts.cutoffs);
  }

  explain(raw: Buffer, top = 15, opts: ClassifyOptions = {}): Explanation {
    const seen = this.observe(raw, opts.maxBytes);
    const clues = this.fisherClues(seen.tokens);
    clues.sort((a, b) => Math.abs(b.probability - 0.5) - Math.abs(a.probability - 0.5));
    const notMail = notMailReason(raw);
    const verdict = notMail ? notMailVerdict(notMail, seen.notes) : this.verdictOf(seen.logOdds, seen.notes, opts.cutoffs);
    return { verdict, tokenCount: seen.tokens.length, clues: clues.slice(0, top) };
  }

  /**
   * Learns one message with its true label (feedback, `spamzk learn`, the
   * online protocol) and returns the verdict the model gave it just before.
   */
  learn(raw: Buffer, label: 'spam' | 'ham'): Verdict {
    const seen = this.observe(raw);
    this.learnObserved(seen, label);
    const learned = { ...this.state.provenance.learned };
    learned[label]++;
    this.state.provenance = { ...this.state.provenance, learned };
    return this.verdictOf(seen.logOdds, seen.notes);
  }

  /** The decoded, tokenized form of a message: exposed for tests and `classify --explain`. */
  tokensOf(raw: Buffer, maxBytes?: number): { tokens: string[]; notes: string[]; texts: string[] } {
    if (!Buffer.isBuffer(raw)) {
      throw new ClassifierError('NOT_A_BUFFER', `classify() needs the raw message as a Buffer, got ${typeof raw}`);
    }
    const limits = { ...DEFAULT_DECODE_LIMITS, maxBytes: maxBytes ?? this.state.options.maxBytes };
    let mail: DecodedMail;
    try {
      mail = decodeMail(raw, limits);
    } catch (err) {
      // A decoder bug must not take the pipeline down; the note carries it to the report.
      const reason = err instanceof Error ? err.message : String(err);
      return { tokens: [], notes: [`decoder error: ${reason}`], texts: [] };
    }
    return { tokens: tokenize(mail, this.state.options.tokenizer), notes: mail.notes, texts: mail.texts.map((t) => t.text) };
  }

  private observe(raw: Buffer, maxBytes?: number): Observed {
    const { tokens, notes, texts } = this.tokensOf(raw, maxBytes);
    // A view into the extractor's buffer, valid until its next message: train() copies what it keeps.
    const features = this.#features.extract(raw, tokens, texts);
    const evidence: Evidence = { lr: logOdds(this.state.weights, features), fisher: this.fisherEvidence(tokens) };
    return { tokens, notes, features, evidence, logOdds: fusedLogOdds(this.state.fusion, evidence, this.state.options.online) };
  }

  private learnObserved(seen: Observed, label: 'spam' | 'ham'): void {
    const isSpam = label === 'spam';
    const o = this.state.options.online;
    learnFusion(this.state.fusion, seen.evidence, isSpam, o);
    learnLogistic(this.state.weights, seen.features, isSpam, o);
    this.addTokens(seen.tokens, label);
    this.#idCache = undefined;
  }

  private addTokens(tokens: readonly string[], label: 'spam' | 'ham'): void {
    const slot = label === 'spam' ? 0 : 1;
    if (label === 'spam') this.state.nSpam++;
    else this.state.nHam++;
    const counts = this.state.counts;
    const column = slot === 0 ? counts.spam : counts.ham;
    for (const token of tokens) column[counts.rowFor(token)]!++;
  }

  /** Fisher log-odds over the clues beyond minDev, the maxClues strongest at most. */
  private fisherEvidence(tokens: readonly string[]): number {
    const { counts, nSpam, nHam } = this.state;
    const { spam, ham } = counts;
    const o = this.state.options.scoring;
    // The hot path: plain numbers, no objects.
    const probs: number[] = [];
    for (const token of tokens) {
      const row = counts.rowOf(token);
      if (row === undefined) continue;
      const probability = tokenProbability(spam[row]!, ham[row]!, nSpam, nHam, o);
      if (Math.abs(probability - 0.5) >= o.minDev) probs.push(probability);
    }
    if (probs.length <= o.maxClues) return fisherLogOdds(probs);
    // Strongest first; a stable sort over a deterministic token order gives the same clues every run.
    const strongest = probs
      .map((p, i) => [Math.abs(p - 0.5), i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, o.maxClues)
      .map(([, i]) => i)
      .sort((a, b) => a - b);
    return fisherLogOdds(strongest.map((i) => probs[i]!));
  }

  private fisherClues(tokens: readonly string[]): Clue[] {
    const { nSpam, nHam } = this.state;
    const counts = this.state.counts;
    const { spam, ham } = counts;
    const o = this.state.options.scoring;
    const clues: Clue[] = [];
    for (const token of tokens) {
      const row = counts.rowOf(token);
      if (row === undefined) continue;
      const probability = tokenProbability(spam[row]!, ham[row]!, nSpam, nHam, o);
      if (Math.abs(probability - 0.5) >= o.minDev) clues.push({ token, probability, spamCount: spam[row]!, hamCount: ham[row]! });
    }
    return clues;
  }

  private verdictOf(z: number, notes: string[], cutoffs?: ClassifyOptions['cutoffs']): Verdict {
    const o = this.state.options.scoring;
    const spamCutoff = cutoffs?.spam ?? o.spamCutoff;
    const hamCutoff = cutoffs?.ham ?? o.hamCutoff;
    const label: VerdictLabel = z >= logit(spamCutoff) ? 'spam' : z < logit(hamCutoff) ? 'ham' : 'unsure';
    const score = 1 / (1 + Math.exp(-z));
    return notes.length > 0 ? { label, score, logOdds: z, notes } : { label, score, logOdds: z };
  }
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}
