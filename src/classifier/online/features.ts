/**
 * Hashed binary features for the online logistic model (after Goodman & Yih,
 * CEAS 2006, and the Waterloo runs of TREC 2007): every distinct byte 4-gram
 * of the message's head (its raw first bytes, CRLF read as LF: headers and
 * the start of the body, undecoded, so that encodings themselves are
 * evidence), every distinct character 4-gram of the decoded text (what a
 * reader sees: a base64 or quoted-printable body is opaque to the raw bytes),
 * plus the tokenizer's word, header and URL tokens. Each feature is hashed into a table
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
  /** Characters of the decoded text (MIME-decoded, HTML stripped) read for character 4-grams; 0 or absent: none. */
  readonly textChars?: number;
}

/** Knuth's multiplicative constant (2^32 / golden ratio): spreads 4-gram values over the table. */
const GOLDEN = 0x9e3779b1;
const TOKEN_SEED = 0x811c9dc5; // FNV-1a offset basis
/** Decoded-text 4-grams are mixed with this first, so they are other features than the same raw bytes. */
const TEXT_SALT = 0x5bd1e995;

/**
 * Collects distinct feature indices. A bit per index marks those seen in the
 * current message, so deduplication costs one read instead of a Set. The bits
 * (2^bits / 8 bytes: 128 KiB for 2^20) stay in the CPU cache where a word per
 * index (4 MiB) did not; they are cleared after each message through the list
 * of indices set. The extractor is private to one model and never shared.
 */
export class FeatureExtractor {
  readonly #seen: Uint32Array;
  readonly #shift: number;
  #out: Uint32Array;
  /** Indices set by the previous message, whose bits are still to clear. */
  #set = 0;

  constructor(readonly options: FeatureOptions) {
    this.#seen = new Uint32Array(Math.max(1, (1 << options.bits) >>> 5));
    this.#shift = 32 - options.bits;
    this.#out = new Uint32Array(4096);
  }

  /** The message's distinct feature indices (a view valid until the next call). */
  extract(raw: Buffer, tokens: readonly string[], texts: readonly string[] = []): Uint32Array {
    const seen = this.#seen;
    const previous = this.#out;
    for (let i = 0, set = this.#set; i < set; i++) seen[previous[i]! >>> 5] = 0;
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
    n = this.#addText(texts, n);
    if (this.options.tokens) {
      for (const token of tokens) n = this.#add(hashString(token) >>> this.#shift, n);
    }
    this.#set = n;
    return this.#out.subarray(0, n);
  }

  /** Character 4-grams of the decoded text, ASCII case folded, each run of white space read as one space. */
  #addText(texts: readonly string[], n: number): number {
    let budget = this.options.textChars ?? 0;
    // The last four characters, two UTF-16 code units per 32-bit word.
    let hi = 0;
    let lo = 0;
    let taken = 0;
    let lastSpace = true;
    for (const text of texts) {
      for (let i = 0; i < text.length && budget > 0; i++) {
        let c = text.charCodeAt(i);
        const space = c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0xa0;
        if (space && lastSpace) continue;
        lastSpace = space;
        c = space ? 0x20 : c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
        budget--;
        hi = ((hi << 16) | (lo >>> 16)) >>> 0;
        lo = ((lo << 16) | c) >>> 0;
        if (++taken >= 4) n = this.#add(mix(hi ^ TEXT_SALT, lo) >>> this.#shift, n);
      }
      if (budget <= 0) break;
    }
    return n;
  }

  #add(index: number, n: number): number {
    const word = index >>> 5;
    const bit = 1 << (index & 31);
    const bits = this.#seen[word]!;
    if ((bits & bit) !== 0) return n;
    this.#seen[word] = bits | bit;
    if (n === this.#out.length) {
      const grown = new Uint32Array(n * 2);
      grown.set(this.#out);
      this.#out = grown;
    }
    this.#out[n] = index;
    return n + 1;
  }
}

/** Two 32-bit words (four UTF-16 units) to one well-spread hash (MurmurHash3-style multiply and shift). */
function mix(a: number, b: number): number {
  let h = Math.imul(a, GOLDEN);
  h = Math.imul(h ^ (h >>> 15) ^ b, 0x85ebca6b);
  h ^= h >>> 13;
  return Math.imul(h, GOLDEN) >>> 0;
}

/** FNV-1a over UTF-16 code units, then a multiplicative mix so the top bits are well spread. */
export function hashString(s: string): number {
  let h = TOKEN_SEED;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return Math.imul(h ^ (h >>> 15), GOLDEN) >>> 0;
}
