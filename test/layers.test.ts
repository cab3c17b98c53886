// Issue 22: the layers of the source tree, read from every file's imports (type imports included: a type-only
// import is still a design arrow). An import only goes down: no circle, and none of the forbidden arrows below.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, test } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The source folders, bottom to top (tests and the console aside: they sit beside the layers). An import goes to a
 * folder of the same rank or below; folders of one rank do not depend on each other by design, but may.
 */
const RANK: Record<string, number> = {
  domain: 0,
  contract: 1,
  processes: 1,
  db: 1,
  temporal: 2,
  runtime: 2,
  activities: 3,
  workflows: 4,
  services: 5,
  worker: 5,
  api: 6,
  scripts: 7,
  bench: 7,
};
const LAYERS = Object.keys(RANK);

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'results' ? [] : sourceFiles(path);
    return /\.(ts|mts|cts)$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A relative specifier resolved as tsconfig's "Bundler" resolution does: extensionless, or a folder's index.ts. */
function resolveImport(from: string, spec: string, known: Set<string>): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, base.replace(/\.js$/, '.ts'), join(base, 'index.ts')]) if (known.has(candidate)) return candidate;
  return undefined;
}

/** file (relative to the root) → the files it imports (`import`, `import type`, `export ... from`, `import()`). */
function importGraph(): Map<string, string[]> {
  const files = LAYERS.flatMap((l) => sourceFiles(join(ROOT, l)));
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = info.importedFiles.flatMap((f) => resolveImport(file, f.fileName, known) ?? []);
    graph.set(
      relative(ROOT, file),
      [...new Set(targets)].map((t) => relative(ROOT, t)),
    );
  }
  return graph;
}

/** The strongly connected components of more than one file, or a file importing itself (Tarjan). */
function circles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const top = (file: string) => file.split('/')[0]!;

/** Arrows no import may draw besides going up: skipping down past a layer the brief names, or sideways. */
const FORBIDDEN: { why: string; from: (f: string) => boolean; to: (f: string) => boolean }[] = [
  { why: 'api/ does not import activities/ (a route reads db/queries)', from: (f) => top(f) === 'api', to: (t) => top(t) === 'activities' },
  {
    why: 'activities/ do not import worker/, workflows/ or services/',
    from: (f) => top(f) === 'activities',
    to: (t) => ['worker', 'workflows', 'services'].includes(top(t)),
  },
  { why: 'a main process does not import scripts/', from: (f) => /^(api|worker)\/main\.ts$/.test(f), to: (t) => top(t) === 'scripts' },
  {
    why: 'processes/ do not import db/ (a declaration is data, shared by the workflow sandbox)',
    from: (f) => top(f) === 'processes',
    to: (t) => top(t) === 'db',
  },
];

describe('issue 22: the import graph', () => {
  const graph = importGraph();
  const arrows = [...graph.entries()].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));
  const cycles = circles(graph);
  const up = (from: string, to: string) => RANK[top(to)]! > RANK[top(from)]!;
  const forbidden = arrows.flatMap(({ from, to }) => [
    ...FORBIDDEN.filter((r) => r.from(from) && r.to(to)).map((r) => `${from} → ${to}: ${r.why}`),
    ...(up(from, to) ? [`${from} → ${to}: an import goes down the layers, never up`] : []),
  ]);

  test('issue 22: the figures (files, arrows, circles, forbidden arrows)', () => {
    console.log(`import graph: ${graph.size} files, ${arrows.length} arrows, ${cycles.length} circles, ${forbidden.length} arrows up or forbidden`);
    expect(graph.size).toBeGreaterThan(100);
  });

  test('issue 22: no import circle, type imports included', () => {
    expect(cycles).toEqual([]);
  });

  test('issue 22: no import runs up the layers', () => {
    expect(forbidden).toEqual([]);
  });
});
