/**
 * `npm run model:optimize -- --in DIR --out DIR [--bits 8|4] [--head-bits 8|4] [--block 128|32] [--file onnx/…] [--max-kl N] [--min-top1 N] [--attention mha|split] [--no-fuse]`
 * Rewrites a GPT-2-family export for decode speed (MatMulNBits linear
 * layers and LM head, attention and residual layer norms as fused contrib ops) and writes it to `--out` only if its next-token
 * log-probs match the source's within the bounds, printing what it measured.
 * Exit 1 when the gate refuses, 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BLOCK_SIZES, NBITS } from '#tools/model/optimize/blocks.ts';
import {
  DECISIVE_MARGIN,
  DEFAULT_BOUNDS,
  MIN_DECISIVE_TOKENS,
} from '#tools/model/optimize/fidelity.ts';
import { optimizeModelDir } from '#tools/model/optimize/optimize.ts';

const USAGE =
  'Usage: npm run model:optimize -- --in DIR --out DIR [--bits 8|4] [--head-bits 8|4] [--block 128|32] [--file onnx/model.onnx] [--max-kl 0.02] [--min-top1 0.98] [--attention mha|split] [--no-fuse]';

const Args = z.object({
  in: z.string({ error: '--in is required (a model directory)' }).min(1),
  out: z.string({ error: '--out is required (where the optimized model goes)' }).min(1),
  bits: z.coerce
    .number()
    .refine((b) => (NBITS as readonly number[]).includes(b), { error: '--bits must be 8 or 4' })
    .default(8),
  'head-bits': z.coerce
    .number()
    .refine((b) => (NBITS as readonly number[]).includes(b), {
      error: '--head-bits must be 8 or 4',
    })
    .optional(),
  block: z.coerce
    .number()
    .refine((b) => (BLOCK_SIZES as readonly number[]).includes(b), {
      error: '--block must be 32 or 128',
    })
    // 128: fewer scales to read per token; block 32's extra fp32 scale per 32 codes made 8-bit slower than the q8 it replaced.
    .default(128),
  file: z.string().optional(),
  'max-kl': z.coerce.number({ error: '--max-kl must be a number' }).positive().optional(),
  'min-top1': z.coerce.number({ error: '--min-top1 must be a number' }).min(0).max(1).optional(),
  attention: z.enum(['mha', 'split'], { error: '--attention must be mha or split' }).default('mha'),
  'no-fuse': z.boolean().default(false),
});

const { values } = parseArgs({
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    bits: { type: 'string' },
    'head-bits': { type: 'string' },
    block: { type: 'string' },
    file: { type: 'string' },
    'max-kl': { type: 'string' },
    'min-top1': { type: 'string' },
    attention: { type: 'string' },
    'no-fuse': { type: 'boolean' },
  },
});
const parsed = Args.safeParse(values);
if (!parsed.success) {
  console.error(parsed.error.issues.map((i) => i.message).join('\n'));
  console.error(USAGE);
  process.exit(2);
}
const args = parsed.data;
const bits = args.bits as 4 | 8;
const defaults = DEFAULT_BOUNDS[bits];
const bounds = {
  maxMeanKl: args['max-kl'] ?? defaults.maxMeanKl,
  minTop1: args['min-top1'] ?? defaults.minTop1,
};
const KERNELS = {
  mha: 'MultiHeadAttention',
  split: 'split: past and new side by side, present.* on demand',
} as const;
const EMBEDDING = {
  'head-shared':
    "rows looked up in the LM head's quantized weights (GatherBlockQuantized), table dropped",
  quantized: 'its own block-quantized table (GatherBlockQuantized)',
  kept: 'table kept as it was',
} as const;
const started = Date.now();
try {
  const result = await optimizeModelDir({
    inDir: args.in,
    outDir: args.out,
    bits,
    ...(args['head-bits'] ? { headBits: args['head-bits'] as 4 | 8 } : {}),
    blockSize: args.block as 32 | 128,
    ...(args.file ? { file: args.file } : {}),
    fuse: !args['no-fuse'],
    attention: args.attention,
    bounds,
    onProgress: (step) => console.log(`  ${step} …`),
  });
  const f = result.fidelity;
  console.log(
    `${result.layers.length} linear layers → MatMulNBits (${bits}-bit${args['head-bits'] && args['head-bits'] !== bits ? `, LM head ${args['head-bits']}-bit` : ''}, block ${args.block}, accuracy_level 4): ` +
      `${(result.source.bytes / 1e6).toFixed(1)} MB → ${result.output ? (result.output.bytes / 1e6).toFixed(1) : '–'} MB; ` +
      `fused: attention in ${result.fused.attention} layers (${KERNELS[result.fused.kernel ?? 'mha']}), ${result.fused.skipLayerNorm} residual layer norms (SkipLayerNormalization); new keys and values exposed in ${result.newKeyValues} layers; token embedding: ${EMBEDDING[result.embedding ?? 'kept']}`,
  );
  console.log(
    `fidelity over ${f.tokens} tokens: mean KL ${f.meanKl.toFixed(5)} nats/token (bound ${bounds.maxMeanKl}), ` +
      `max KL ${f.maxKl.toFixed(4)}; top-1 agreement ${(f.top1 * 100).toFixed(2)} % overall, ` +
      `${(f.top1Decisive * 100).toFixed(2)} % on the ${f.decisiveTokens} positions where the source leads by ≥ ${DECISIVE_MARGIN} nats ` +
      `(bound ${(bounds.minTop1 * 100).toFixed(0)} %${f.decisiveTokens < MIN_DECISIVE_TOKENS ? `, not judged: fewer than ${MIN_DECISIVE_TOKENS} such positions` : ''})`,
  );
  if (!result.passed) {
    console.error(
      `Refused: the optimized model is further from ${result.source.file} than the bounds allow; nothing written. Try --bits 8 (4-bit needs a model whose top tokens lead clearly; random weights do not).`,
    );
    process.exit(1);
  }
  console.log(
    `Wrote ${args.out} in ${((Date.now() - started) / 1000).toFixed(1)} s (source ${result.source.file}, sha256 ${result.source.sha256.slice(0, 12)}…). Publish it with npm run model:publish -- --dir ${args.out} --id <id>.`,
  );
} catch (error) {
  console.error(`model:optimize failed: ${(error as Error).message}`);
  process.exit(1);
}
