import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The most lines a handler may have, imports excluded (STYLE.md: handlers are thin). */
const MAX_HANDLER_LINES = 40;
/** Capabilities that may build HTTP responses: the edge, and the service that streams generation. */
const HTTP_USERS = new Set(['http', 'generate']);
/** Trees that `lib/` (what the Lambdas bundle) must never import. */
const OUTSIDE_RUNTIME = ['functions/', 'local/', 'tools/', 'infra/', 'scripts/', 'bench/', 'test/'];

const ROOT = normalize(join(import.meta.dirname, '../..'));
const ALIASES: Record<string, string> = {
  '#lib/': 'lib/',
  '#functions/': 'functions/',
  '#infra/': 'infra/',
  '#local/': 'local/',
  '#test/': 'test/',
  '#tools/': 'tools/',
};

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Project files a file imports (static, type-only and dynamic), as root-relative paths. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles.flatMap(({ fileName }) => {
    if (fileName.startsWith('.')) return [relative(ROOT, join(ROOT, dirname(file), fileName))];
    const alias = Object.keys(ALIASES).find((a) => fileName.startsWith(a));
    return alias ? [`${ALIASES[alias]}${fileName.slice(alias.length)}`] : [];
  });
}

/** `lib/copy/prompt.ts` → `copy`; `lib/config.ts` → `config.ts` (a module of its own). */
const capabilityOf = (file: string) => file.split('/')[1] ?? file;

/** Cycles of a directed graph (Tarjan's strongly connected components of size > 1 or self-loops). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const stack: string[] = [];
  const meta = new Map<string, { index: number; low: number; onStack: boolean }>();
  const found: string[][] = [];
  const visit = (v: string) => {
    meta.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      const mw = meta.get(w);
      const mv = meta.get(v) as { low: number; index: number };
      if (!mw) {
        visit(w);
        mv.low = Math.min(mv.low, (meta.get(w) as { low: number }).low);
      } else if (mw.onStack) mv.low = Math.min(mv.low, mw.index);
    }
    const mv = meta.get(v) as { low: number; index: number };
    if (mv.low !== mv.index) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      (meta.get(w) as { onStack: boolean }).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!meta.has(v)) visit(v);
  return found;
}

/** Composition roots (`deps.ts`) wire capabilities together; nothing in lib/ may import them. */
const isCompositionRoot = (file: string) => /(^|\/)deps\.ts$/.test(file);

const libFiles = tsFiles('lib');
const edges = libFiles.flatMap((from) => importsOf(from).map((to) => ({ from, to })));
/** The edges that make the layering: a composition root's own imports are wiring, not layering. */
const layerEdges = edges.filter(({ from }) => !isCompositionRoot(from));

function graphOf(key: (file: string) => string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of layerEdges) {
    if (!to.startsWith('lib/')) continue;
    const [a, b] = [key(from), key(to)];
    if (a === b && key !== String) continue;
    graph.set(a, (graph.get(a) ?? new Set()).add(b));
  }
  return graph;
}

describe('architecture of lib/', () => {
  it('has no cycle between capability folders', () => {
    expect(cycles(graphOf(capabilityOf))).toEqual([]);
  });

  it('has no cycle between files', () => {
    expect(cycles(graphOf(String))).toEqual([]);
  });

  it('never imports handlers, the local stack, tools, infra, scripts, benches or tests', () => {
    const bad = edges.filter(({ to }) => OUTSIDE_RUNTIME.some((tree) => to.startsWith(tree)));

    expect(bad).toEqual([]);
  });

  it('keeps the HTTP layer out of domain capabilities', () => {
    const bad = edges.filter(
      ({ from, to }) => to.startsWith('lib/http/') && !HTTP_USERS.has(capabilityOf(from)),
    );

    expect(bad).toEqual([]);
  });

  it('never imports a composition root (deps.ts) from inside lib/', () => {
    const bad = edges.filter(({ to }) => isCompositionRoot(to));

    expect(bad).toEqual([]);
  });
});

describe('handlers in functions/', () => {
  it.each(tsFiles('functions'))(
    `%s is at most ${MAX_HANDLER_LINES} lines, imports excluded`,
    (file) => {
      const source = ts.createSourceFile(
        file,
        readFileSync(join(ROOT, file), 'utf8'),
        ts.ScriptTarget.ES2023,
      );
      const body = source.statements.filter((s) => !ts.isImportDeclaration(s));
      const lines = body.reduce((sum, s) => {
        const start = source.getLineAndCharacterOfPosition(s.getStart(source)).line;
        const end = source.getLineAndCharacterOfPosition(s.getEnd()).line;
        return sum + end - start + 1;
      }, 0);

      expect(lines).toBeLessThanOrEqual(MAX_HANDLER_LINES);
    },
  );
});
