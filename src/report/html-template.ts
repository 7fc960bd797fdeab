/**
 * A tagged template that escapes every interpolated value unless it is already
 * SafeHtml. Escaping by default (rather than remembering to call escape at each
 * site) is what keeps a message-derived reason such as "<script>" inert in
 * report.html, including inside the SVG charts.
 */

export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = SafeHtml | string | number | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += renderValue(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}

/** For text this module wrote itself (the stylesheet); never for input-derived text. */
export function trusted(text: string): SafeHtml {
  return new SafeHtml(text);
}

function renderValue(v: HtmlValue): string {
  if (v instanceof SafeHtml) return v.text;
  if (Array.isArray(v)) return v.map(renderValue).join('');
  if (v === null || v === undefined) return '';
  return escapeHtml(String(v));
}
