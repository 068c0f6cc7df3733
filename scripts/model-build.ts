/**
 * `npm run model:build -- --shape tiny|distilgpt2|gpt2 [--tokenizer gpt2|zh] [--layout muse|v3|v3-uint8] [--merged] [--out DIR] [--seed N]`
 * Builds a GPT-2-architecture model with seeded random weights, in the
 * transformers.js layout: with the real GPT-2 tokenizer (default), or with
 * `--tokenizer zh` a generated Chinese WordPiece vocabulary laid out like
 * `uer/gpt2-chinese-cluecorpussmall`'s. `--merged` writes the legacy merged
 * decoders (`onnx/decoder_model_merged[_quantized].onnx`, one `If` on
 * `use_cache_branch`): a source for `npm run model:optimize`.
 */
import { parseArgs } from 'node:util';
import {
  buildModel,
  DEFAULT_MODEL_SEED,
  TOKENIZERS,
  type TokenizerName,
} from '#tools/model/builder/buildModel.ts';
import {
  QUANTIZED_LAYOUTS,
  type QuantizedLayout,
  SHAPES,
  type ShapeName,
} from '#tools/model/builder/gpt2.ts';

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'tiny' },
    out: { type: 'string' },
    seed: { type: 'string', default: String(DEFAULT_MODEL_SEED) },
    tokenizer: { type: 'string', default: 'gpt2' },
    layout: { type: 'string', default: 'muse' },
    merged: { type: 'boolean', default: false },
  },
});
if (!(QUANTIZED_LAYOUTS as readonly string[]).includes(values.layout ?? '')) {
  console.error(
    `--layout must be one of ${QUANTIZED_LAYOUTS.join(', ')} (got "${values.layout}").`,
  );
  process.exit(2);
}
const tokenizer = values.tokenizer as TokenizerName;
if (!TOKENIZERS.includes(tokenizer)) {
  console.error(`--tokenizer must be one of ${TOKENIZERS.join(', ')} (got "${values.tokenizer}").`);
  process.exit(2);
}
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
const outDir =
  values.out ??
  `.data/models/muse/gpt2-${shape}${tokenizer === 'zh' ? '-zh' : ''}${values.merged ? '-merged' : ''}-random`;
const started = Date.now();
console.log(
  `Building a ${shape} GPT-2 with RANDOM weights (seed ${seed}, ${tokenizer} tokenizer) into ${outDir} …`,
);
const files = await buildModel({
  shape,
  outDir,
  seed,
  tokenizer,
  layout: values.layout as QuantizedLayout,
  merged: values.merged,
  onProgress: (file, bytes) =>
    console.log(`  wrote ${file.padEnd(40)} ${(bytes / 1e6).toFixed(1).padStart(8)} MB`),
});
const total = files.reduce((s, f) => s + f.bytes, 0);
console.log(
  `Done in ${((Date.now() - started) / 1000).toFixed(1)} s, ${(total / 1e6).toFixed(1)} MB. Weights are random: text it generates is gibberish by design.`,
);
