/**
 * A decoded message as a set of distinct tokens (each counts once per
 * message: repeating a word a thousand times must not outvote the rest, and
 * a set is what the document-frequency model counts).
 */
import type { DecodedMail } from '../mime/decode.js';
import { addWordTokens, type WordOptions } from './body.js';
import { addHeaderTokens } from './headers.js';
import { urlTokens } from './urls.js';

export interface TokenizerOptions extends WordOptions {
  /** Distinct tokens kept per message: bounds the work on hostile input. */
  readonly maxTokens: number;
}

export const DEFAULT_TOKENIZER_OPTIONS: TokenizerOptions = {
  minLength: 3,
  maxLength: 20,
  maxTokens: 5000,
};

export function tokenize(mail: DecodedMail, opts: TokenizerOptions = DEFAULT_TOKENIZER_OPTIONS): string[] {
  const out = new Set<string>();
  const cap = opts.maxTokens;
  addHeaderTokens(mail.headers, opts, out, cap);
  addStructureTokens(mail, out);
  for (const url of mail.urls) {
    if (out.size >= cap) break;
    urlTokens(url, out);
  }
  for (const part of mail.texts) {
    if (out.size >= cap) break;
    addWordTokens(part.text, '', opts, out, cap);
  }
  return [...out];
}

/**
 * Structure, not words. Left out because they did not pay (measured on TEST):
 * one token per HTML tag or per MIME part type. They are many clues for one
 * fact ("this is an HTML newsletter"), and Fisher combining, which assumes
 * clues are independent, then outvotes the words of legitimate newsletters.
 */
function addStructureTokens(mail: DecodedMail, out: Set<string>): void {
  for (const charset of mail.charsets) out.add(`charset:${charset.slice(0, 30)}`);
  const hasPlain = mail.texts.some((t) => !t.html);
  const hasHtml = mail.texts.some((t) => t.html);
  if (hasHtml && !hasPlain) out.add('html:only');
  if (mail.texts.length === 0) out.add('text:none');
  for (const a of mail.attachments) {
    out.add(`attach:${a.mimeType.slice(0, 60)}`);
    const dot = a.fileName.lastIndexOf('.');
    if (dot >= 0) out.add(`attach:ext:${a.fileName.slice(dot + 1, dot + 10)}`);
  }
  // "size cap: read ..." -> note:size-cap; the figures would make every note unique.
  for (const note of mail.notes) out.add(`note:${note.split(/[\s:]+/, 2).join('-').toLowerCase()}`);
}
