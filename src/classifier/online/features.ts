/**
 * Hashed binary features for the online logistic model (after Goodman & Yih,
 * CEAS 2006, and the Waterloo runs of TREC 2007): every distinct byte 4-gram
 * of the message's head (its raw first bytes, CRLF read as LF: headers and
 * the start of the body, undecoded, so that encodings themselves are
 * evidence), plus the
 * tokenizer's word, header and URL tokens. Each feature is hashed into a table
 * of 2^bits weights; collisions are accepted, as in those filters. A feature
 * counts once per message (binary), which is what made those runs robust to
 * repetition.
 */

export interface FeatureOptions {
  /** log2 of the weight table's size. */
  readonly bits: number;
  /** Raw bytes of the message read for 4-grams. */
  readonly headBytes: number;
  /** Whether the tokenizer's tokens are features too. */
  readonly tokens: boolean;
}

/** Knuth's multiplicative constant (2^32 / golden ratio): spreads 4-gram values over the table. */
const GOLDEN = 0x9e3779b1;
const TOKEN_SEED = 0x811c9dc5; // FNV-1a offset basis

/**
 * Collects distinct feature indices. The stamp table marks indices seen in the
 * current message, so deduplication costs one array read per feature instead
 * of a Set; it is private to one extractor and never shared.
 */
export class FeatureExtractor {
  readonly #stamps: Uint32Array;
  #generation = 0;
  readonly #shift: number;
  #out: Uint32Array;

  constructor(readonly options: FeatureOptions) {
    this.#stamps = new Uint32Array(1 << options.bits);
    this.#shift = 32 - options.bits;
    this.#out = new Uint32Array(4096);
  }

  /** The message's distinct feature indices (a view valid until the next call). */
  extract(raw: Buffer, tokens: readonly string[]): Uint32Array {
    this.#generation = (this.#generation + 1) >>> 0;
    if (this.#generation === 0) {
      this.#stamps.fill(0);
      this.#generation = 1;
    }
    let n = 0;
    // The head is read with CRLF taken as LF: the same message arrives with
    // CRLF over IMAP and with LF from a file or an mbox, and its score must
    // not depend on the transport. headBytes counts the bytes after that.
    let v = 0;
    let taken = 0;
    for (let i = 0; i < raw.length && taken < this.options.headBytes; i++) {
      const byte = raw[i]!;
      if (byte === 0x0d && raw[i + 1] === 0x0a) continue;
      v = (v >>> 8) | (byte << 24);
      if (++taken >= 4) n = this.#add(Math.imul(v, GOLDEN) >>> this.#shift, n);
    }
    if (this.options.tokens) {
      for (const token of tokens) n = this.#add(hashString(token) >>> this.#shift, n);
    }
    return this.#out.subarray(0, n);
  }

  #add(index: number, n: number): number {
    if (this.#stamps[index] === this.#generation) return n;
    this.#stamps[index] = this.#generation;
    if (n === this.#out.length) {
      const grown = new Uint32Array(n * 2);
      grown.set(this.#out);
      this.#out = grown;
    }
    this.#out[n] = index;
    return n + 1;
  }
}

/** FNV-1a over UTF-16 code units, then a multiplicative mix so the top bits are well spread. */
export function hashString(s: string): number {
  let h = TOKEN_SEED;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ (h >>> 15), GOLDEN) >>> 0;
}
