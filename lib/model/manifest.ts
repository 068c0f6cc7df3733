import { z } from 'zod';
import { KEYS } from '../aws/resources.ts';

/** The weights file of a model (its sha256 is the model's identity). */
export const WEIGHTS_FILE = 'onnx/model_quantized.onnx';

/** Files a Lambda needs to run a model with `dtype: 'q8'` (transformers.js layout). */
export const RUNTIME_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model_quantized.onnx',
] as const;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, { error: 'must be a lowercase hex sha256' });

/** One file of a published model. */
export const ManifestFile = z.strictObject({
  path: z.string().min(1),
  bytes: z.number().int().nonnegative(),
  sha256: Sha256,
});

/** How `npm run model:optimize` made the weights, when it did (recorded in `config.json` too). */
export const ManifestOptimization = z.strictObject({
  method: z.literal('MatMulNBits'),
  bits: z.union([z.literal(4), z.literal(8)]),
  /** The LM head's bits, when other than `bits`. */
  headBits: z.union([z.literal(4), z.literal(8)]).optional(),
  blockSize: z.int().positive(),
  accuracyLevel: z.int().min(0).max(4),
  /** The weights file it was made from, and that file's sha256. */
  sourceFile: z.string().min(1),
  sourceSha256: Sha256,
  layers: z.int().positive(),
  /** `head-shared`: the token embedding looks rows up in the LM head's quantized weights; `quantized`: in its own. */
  embedding: z.enum(['head-shared', 'quantized']).optional(),
  /** `with_past`: the source was a merged decoder (`use_cache_branch`); the graph is its with-past branch. */
  mergedDecoder: z.literal('with_past').optional(),
  /**
   * Fused contrib ops: layers whose attention was replaced (`kernel`: one
   * `MultiHeadAttention`, or `split` with `present.*` on demand), `SkipLayerNormalization` nodes.
   */
  fused: z
    .strictObject({
      attention: z.int().nonnegative(),
      kernel: z.enum(['mha', 'split']).optional(),
      skipLayerNorm: z.int().nonnegative(),
    })
    .optional(),
  /** Layers whose new keys and values are outputs `new.{i}.*` (Muse's decode loop keeps its own cache). */
  newKeyValues: z.int().positive().optional(),
  /** `log_softmax`: the `logits` output carries log-probabilities (read off the row when sampling). */
  logits: z.literal('log_softmax').optional(),
  fidelity: z.looseObject({ tokens: z.int(), meanKl: z.number(), top1: z.number() }),
  bounds: z.strictObject({ maxMeanKl: z.number(), minTop1: z.number() }),
});

/** `models/<id>/<version>/manifest.json`: what a published model consists of. */
export const Manifest = z.strictObject({
  id: z.string().min(1),
  version: z.string().min(1),
  files: z.array(ManifestFile).min(1),
  dtype: z.literal('q8'),
  /** Where the files came from: `built:<shape>` or `hub:<repo>`. */
  source: z.string().min(1),
  /** True for Muse's own random-weight models: their text means nothing. */
  random_weights: z.boolean(),
  created: z.iso.datetime(),
  /** Present when the weights are `npm run model:optimize`'s output. */
  optimization: ManifestOptimization.optional(),
});

/** A parsed manifest. */
export type Manifest = z.infer<typeof Manifest>;
/** A file entry of a {@link Manifest}. */
export type ManifestFile = z.infer<typeof ManifestFile>;

/** `models/<id>/current`: which version `current` means. */
export const CurrentPointer = z.strictObject({
  version: z.string().min(1),
  updated: z.iso.datetime(),
});

/** S3 key prefix of a model version. */
export const modelPrefix = KEYS.modelVersion;
/** S3 key of a model's `current` pointer. */
export const currentKey = KEYS.modelCurrent;

/**
 * The model's own identity: the sha256 of its weights file, which responses
 * report so two deployments can tell whether they run the same model.
 */
export function weightsSha256(manifest: Manifest): string {
  const onnx = manifest.files.find((f) => f.path === WEIGHTS_FILE);
  return onnx?.sha256 ?? '';
}
