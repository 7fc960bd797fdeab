/**
 * The import graph of the project's own TypeScript, read from the source text
 * (static imports and re-exports, dynamic import(), require() and
 * require.resolve()), for the structure tests.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export interface ModuleImports {
  /** Path relative to the package root, with forward slashes. */
  readonly file: string;
  /** Project modules it imports (relative paths, .ts). */
  readonly local: string[];
  /** Package names it imports (bare specifiers, without subpaths; node: builtins left out). */
  readonly packages: string[];
}

const SPECIFIERS = [
  /^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"\n]+)['"]/gm, // import x from '…', export { x } from '…'
  /^\s*import\s*['"]([^'"\n]+)['"]/gm, // import '…' (side effects only)
  /\bimport\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g, // import('…')
  /\brequire(?:\.resolve)?\s*\(\s*['"]([^'"\n]+)['"]\s*\)/g, // require('…'), require.resolve('…')
];

export function listTypeScript(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(join(root, path)).isDirectory()) out.push(...listTypeScript(root, path));
    else if (name.endsWith('.ts')) out.push(path.split('\\').join('/'));
  }
  return out.sort();
}

/** Specifiers in `text`, comments left out (so prose that quotes an import does not count). */
export function specifiersIn(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return SPECIFIERS.flatMap((re) => [...code.matchAll(re)].map((m) => m[1]!));
}

export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export function readImports(root: string, file: string): ModuleImports {
  const local: string[] = [];
  const packages: string[] = [];
  for (const spec of specifiersIn(readFileSync(join(root, file), 'utf8'))) {
    if (spec.startsWith('.')) {
      const target = relative(root, resolve(root, dirname(file), spec)).split('\\').join('/');
      local.push(target.replace(/\.js$/, '.ts'));
    } else if (!spec.startsWith('node:')) {
      packages.push(packageOf(spec));
    }
  }
  return { file, local, packages };
}

/** Every cycle's modules, each cycle once (Tarjan's strongly connected components of size > 1, or a self-import). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop()!; ; w = stack.pop()!) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** A layer rule: modules under `from` must not import modules under any of `notInto` (their own folder aside). */
export interface LayerRule {
  readonly from: string;
  readonly notInto: readonly string[];
  readonly why: string;
}

export function layerViolations(modules: readonly ModuleImports[], rules: readonly LayerRule[]): string[] {
  const out: string[] = [];
  for (const m of modules) {
    for (const rule of rules) {
      if (!m.file.startsWith(rule.from)) continue;
      for (const target of m.local) {
        if (target.startsWith(rule.from)) continue;
        const hit = rule.notInto.find((p) => target.startsWith(p));
        if (hit) out.push(`${m.file} imports ${target} (${rule.why})`);
      }
    }
  }
  return out;
}
