/**
 * `npm run bench [-- --shapes gpt2,distilgpt2]`: runs the benchmarks side by
 * side, prints tables with ratios and writes JSON under bench/results/.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

import { mkdir, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ShapeName } from '#lib/model/builder/gpt2.ts';
import { runModelBench } from './model.ts';

const { values } = parseArgs({
  options: { shapes: { type: 'string', default: 'distilgpt2,gpt2' } },
});
const shapes = (values.shapes ?? '').split(',').filter(Boolean) as ShapeName[];
const started = new Date();
const model = await runModelBench(shapes);
await mkdir('bench/results', { recursive: true });
const file = `bench/results/bench-${started.toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(
  file,
  `${JSON.stringify({ started: started.toISOString(), node: process.version, model }, null, 2)}\n`,
);
console.log(`\nWrote ${file}`);
