/**
 * Bytes to text in a named charset. Node's TextDecoder (full ICU) knows the
 * WHATWG Encoding Standard labels, which cover what mail uses in practice
 * (UTF-8, ISO-8859-*, windows-125*, KOI8, GBK/GB18030, Big5, Shift_JIS,
 * EUC-*, ISO-2022-JP). An unknown label is not an error: the bytes are read as
 * windows-1252 and the caller records a note, because a verdict from slightly
 * garbled text beats no verdict.
 */
import { TextDecoder } from 'node:util';

export interface DecodedText {
  readonly text: string;
  /** False when the charset label was unknown and windows-1252 was used instead. */
  readonly known: boolean;
}

const decoders = new Map<string, TextDecoder | null>();

function decoderFor(label: string): TextDecoder | null {
  const key = label.trim().toLowerCase();
  let dec = decoders.get(key);
  if (dec === undefined) {
    try {
      dec = new TextDecoder(key, { fatal: false });
    } catch {
      dec = null;
    }
    // Bounded: a hostile stream of distinct labels must not grow the cache for ever.
    if (decoders.size < 256) decoders.set(key, dec);
  }
  return dec;
}

const fallback = new TextDecoder('windows-1252');

export function decodeBytes(bytes: Uint8Array, charset: string | undefined): DecodedText {
  const label = charset === undefined || charset === '' ? 'windows-1252' : charset;
  const dec = decoderFor(label);
  if (dec === null) return { text: fallback.decode(bytes), known: false };
  return { text: dec.decode(bytes), known: true };
}
