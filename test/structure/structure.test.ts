/**
 * The layering of src/ and the dependencies of package.json, checked from the
 * source text on every run: lower layers never import the CLI, the pipeline
 * never starts servers, the classifier knows nothing of ZooKeeper or IMAP,
 * coordination knows nothing of mail, nothing imports in a circle, and every
 * dependency is imported by the code, a script or a test (or is a tool that
 * package.json or a script runs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/shared/index.js';
import { findCycles, layerViolations, listTypeScript, readImports, type LayerRule, type ModuleImports } from './import-graph.js';

const LOWER = ['src/classifier/', 'src/coordination/', 'src/sources/', 'src/pipeline/', 'src/report/', 'src/dashboard/', 'src/corpus/', 'src/shared/', 'src/servers/', 'src/metrics/'];

const RULES: readonly LayerRule[] = [
  ...LOWER.map((from) => ({ from, notInto: ['src/cli/'], why: 'only the CLI reads flags and the environment; lower layers never import it' })),
  { from: 'src/pipeline/', notInto: ['src/servers/'], why: 'the CLI starts servers and hands the pipeline a connect string' },
  {
    from: 'src/classifier/',
    notInto: ['src/coordination/', 'src/sources/', 'src/pipeline/', 'src/report/', 'src/servers/'],
    why: 'the classifier knows nothing of ZooKeeper, IMAP or batches',
  },
  { from: 'src/coordination/', notInto: ['src/classifier/', 'src/sources/', 'src/pipeline/', 'src/report/', 'src/corpus/'], why: 'coordination knows nothing of mail' },
  { from: 'src/report/', notInto: ['src/pipeline/', 'src/coordination/', 'src/sources/', 'src/servers/'], why: 'the report shapes what it is given' },
  { from: 'src/dashboard/', notInto: ['src/servers/', 'src/sources/', 'src/classifier/'], why: 'the status page reads the fleet from ZooKeeper alone, never the mail' },
  { from: 'src/metrics/', notInto: ['src/classifier/', 'src/sources/', 'src/pipeline/', 'src/servers/'], why: 'metrics count what the processor reports; they know nothing of mail' },
  { from: 'src/shared/', notInto: ['src/'], why: 'shared code sits below every layer' },
];

function modulesUnder(...dirs: string[]): ModuleImports[] {
  return dirs.flatMap((dir) => listTypeScript(PACKAGE_ROOT, dir)).map((file) => readImports(PACKAGE_ROOT, file));
}

interface Manifest {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
  bin?: string | Record<string, string>;
}

function manifestOf(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** The executables a package installs (`tsc` for typescript). */
function installedBins(pkg: string): string[] {
  const dir = join(PACKAGE_ROOT, 'node_modules', pkg);
  if (!existsSync(join(dir, 'package.json'))) return [];
  const { bin } = manifestOf(dir);
  if (bin === undefined) return [];
  return typeof bin === 'string' ? [pkg.split('/').pop()!] : Object.keys(bin);
}

function ranAsCommand(bin: string, text: string): boolean {
  const name = bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|&&|;|\\bnpx)\\s*${name}\\s|['"]--import['"],\\s*['"]${name}['"]|--import[= ]${name}\\b`, 'm').test(text);
}

/** Dependencies that nothing imports and no script runs. */
function unusedDependencies(
  manifest: Manifest,
  modules: readonly ModuleImports[],
  commandText: string,
  binsOf: (pkg: string) => string[] = installedBins,
): string[] {
  const imported = new Set(modules.flatMap((m) => m.packages));
  const usesBuiltins = true; // every layer imports node: modules
  const used = (pkg: string): boolean => {
    if (imported.has(pkg)) return true;
    if (pkg.startsWith('@types/')) {
      const typed = pkg.slice('@types/'.length);
      return typed === 'node' ? usesBuiltins : imported.has(typed.includes('__') ? `@${typed.replace('__', '/')}` : typed);
    }
    // A tool: one of its executables is run by an npm script, a shell script, `npx` or `node --import`.
    return binsOf(pkg).some((bin) => ranAsCommand(bin, commandText));
  };
  return [...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.devDependencies ?? {})].filter((pkg) => !used(pkg)).sort();
}

describe('project structure', () => {
  const src = modulesUnder('src');

  it('keeps every layer to its own imports (no lower layer imports the CLI, the pipeline starts no server)', () => {
    expect(layerViolations(src, RULES)).toEqual([]);
  });

  it('has no import cycle under src/', () => {
    const cycles = findCycles(new Map(src.map((m) => [m.file, m.local])));
    expect(cycles).toEqual([]);
  });

  it('imports or runs every dependency of package.json', () => {
    const manifest = manifestOf(PACKAGE_ROOT);
    const commands = [
      ...Object.values(manifest.scripts ?? {}),
      ...listTypeScript(PACKAGE_ROOT, 'scripts').map((f) => readFileSync(join(PACKAGE_ROOT, f), 'utf8')),
      ...listTypeScript(PACKAGE_ROOT, 'test').map((f) => readFileSync(join(PACKAGE_ROOT, f), 'utf8')),
      readFileSync(join(PACKAGE_ROOT, 'scripts', 'setup.sh'), 'utf8'),
    ].join('\n');
    const unused = unusedDependencies(manifest, modulesUnder('src', 'scripts', 'test'), commands);
    expect(unused).toEqual([]);
  });
});

describe('the structure checks themselves', () => {
  const mod = (file: string, local: string[], packages: string[] = []): ModuleImports => ({ file, local, packages });

  it('catch a lower layer importing the CLI, and the pipeline importing a server', () => {
    const violations = layerViolations(
      [mod('src/report/build.ts', ['src/cli/config.ts']), mod('src/pipeline/job-run.ts', ['src/servers/zookeeper.ts', 'src/report/index.ts'])],
      RULES,
    );
    expect(violations).toEqual([
      'src/report/build.ts imports src/cli/config.ts (only the CLI reads flags and the environment; lower layers never import it)',
      'src/pipeline/job-run.ts imports src/servers/zookeeper.ts (the CLI starts servers and hands the pipeline a connect string)',
    ]);
  });

  it('catch a cycle through three modules, and a module importing itself', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
      ['e.ts', ['e.ts']],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  });

  it('catch a dependency nothing imports or runs', () => {
    const manifest: Manifest = { dependencies: { used: '1', unused: '1' }, devDependencies: { '@types/used': '1', '@types/gone': '1', vitest: '1' } };
    const bins = (pkg: string): string[] => (pkg === 'vitest' ? ['vitest'] : pkg === 'tool' ? ['tool'] : []);
    expect(unusedDependencies(manifest, [mod('src/x.ts', [], ['used'])], 'tsc -p . && vitest run', bins)).toEqual(['@types/gone', 'unused']);
    expect(unusedDependencies({ devDependencies: { tool: '1' } }, [], 'a comment that names the tool', bins)).toEqual(['tool']);
  });
});
