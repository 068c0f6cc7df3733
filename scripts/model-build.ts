/**
 * `npm run model:build -- --shape tiny|distilgpt2|gpt2 [--out DIR] [--seed N]`
 * Builds a GPT-2-architecture model with seeded random weights and the real
 * GPT-2 tokenizer, in the transformers.js layout.
 */
import { parseArgs } from 'node:util';
import { buildModel, DEFAULT_MODEL_SEED } from '#tools/model/builder/buildModel.ts';
import { SHAPES, type ShapeName } from '#tools/model/builder/gpt2.ts';

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    seed: { type: 'string', default: String(DEFAULT_MODEL_SEED) },
  },
});
const shape = values.shape as ShapeName;
if (!(shape in SHAPES)) {
  console.error(
    `--shape must be one of ${Object.keys(SHAPES).join(', ')} (got "${values.shape}").`,
  );
  process.exit(2);
}
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 0) {
  console.error(`--seed must be a non-negative integer (got "${values.seed}").`);
  process.exit(2);
}
const outDir = values.out ?? `.data/models/muse/gpt2-${shape}-random`;
const started = Date.now();
console.log(`Building a ${shape} GPT-2 with RANDOM weights (seed ${seed}) into ${outDir} …`);
const files = await buildModel({
  shape,
  outDir,
  seed,
  onProgress: (file, bytes) =>
    console.log(`  wrote ${file.padEnd(28)} ${(bytes / 1e6).toFixed(1).padStart(8)} MB`),
});
const total = files.reduce((s, f) => s + f.bytes, 0);
console.log(
  `Done in ${((Date.now() - started) / 1000).toFixed(1)} s, ${(total / 1e6).toFixed(1)} MB. Weights are random: text it generates is gibberish by design.`,
);
