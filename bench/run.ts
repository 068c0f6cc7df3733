/**
 * `npm run bench [-- --suites model,optimize,sizing,events,insights,copy,recommend,bundles] [--compare-root DIR] [--shapes gpt2,distilgpt2] [--reps N] [--customers 12500,50000]`: runs
 * the benchmarks side by side, prints tables with ratios and writes JSON
 * under bench/results/.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ShapeName } from '#tools/model/builder/gpt2.ts';
import { type BundleRow, runBundlesBench } from './bundles.ts';
import { runCopyBench } from './copy.ts';
import { runEventsBench } from './events.ts';
import { runInsightsBench } from './insights.ts';
import { table } from './lib.ts';
import { runModelBench } from './model.ts';
import { runOptimizedBench } from './optimize.ts';
import { runRecommendBench } from './recommend.ts';
import { runSizingBench } from './sizing.ts';

const SUITES = [
  'model',
  'optimize',
  'sizing',
  'events',
  'insights',
  'copy',
  'recommend',
  'bundles',
] as const;
const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'distilgpt2,gpt2' },
    suites: { type: 'string', default: SUITES.join(',') },
    // bundles, insights: another checkout (e.g. a git worktree of main) measured beside this one.
    'compare-root': { type: 'string' },
    // insights: repetitions per size (default 3).
    reps: { type: 'string' },
    // insights: only these sizes, by customer count (e.g. 12500,50000; default all).
    customers: { type: 'string' },
  },
});
const shapes = (values.shapes ?? '').split(',').filter(Boolean) as ShapeName[];
const suites = (values.suites ?? '').split(',').filter(Boolean);
const unknown = suites.filter((s) => !(SUITES as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`Unknown suite(s) ${unknown.join(', ')}; choose from ${SUITES.join(', ')}.`);
  process.exit(2);
}
const started = new Date();
const results: Record<string, unknown> = {};
if (suites.includes('model')) results.model = await runModelBench(shapes);
// The optimized model alone (the model suite runs it too).
else if (suites.includes('optimize')) results.optimize = await runOptimizedBench(shapes);
if (suites.includes('sizing')) results.sizing = await runSizingBench(shapes);
if (suites.includes('events')) results.events = await runEventsBench();
if (suites.includes('insights')) {
  const reps = values.reps ? Number.parseInt(values.reps, 10) : undefined;
  const customers = values.customers?.split(',').map((c) => Number.parseInt(c, 10));
  results.insights = await runInsightsBench(values['compare-root'], reps, customers);
}
if (suites.includes('copy')) results.copy = await runCopyBench();
if (suites.includes('recommend')) results.recommend = await runRecommendBench();
if (suites.includes('bundles')) results.bundles = await bundlesSideBySide(values['compare-root']);

/** This checkout's bundles, and another checkout's beside them when given. */
async function bundlesSideBySide(compareRoot: string | undefined): Promise<unknown> {
  const after = await runBundlesBench();
  const before = compareRoot ? await runBundlesBench(compareRoot) : [];
  const byName = new Map<string, BundleRow>(before.map((r) => [r.function, r]));
  const rows = after.map((row) => {
    const old = byName.get(row.function);
    const ms = row['cold import ms (median of 7)'];
    return {
      ...row,
      ...(old
        ? {
            'before KB': old['bundle KB'],
            'before ms': old['cold import ms (median of 7)'],
            'size ×': row['bundle KB'] / old['bundle KB'],
            'import ×': ms / old['cold import ms (median of 7)'],
          }
        : {}),
    };
  });
  console.log(`\nHandler bundles (esbuild, as CDK builds them)\n${table(rows)}`);
  return { after, before };
}
await mkdir('bench/results', { recursive: true });
const file = `bench/results/bench-${started.toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(
  file,
  `${JSON.stringify({ started: started.toISOString(), node: process.version, suites, ...results }, null, 2)}\n`,
);
console.log(`\nWrote ${file}`);
