/**
 * `npm run model:optimize`: rewrites a GPT-2-family export into a faster
 * equivalent (linear layers and the LM head as `MatMulNBits`, see
 * `rewrite.ts`; each layer's attention as one `MultiHeadAttention`, see
 * `attention.ts`; residual adds into `SkipLayerNormalization`, see
 * `layerNorm.ts`; each layer's new keys and values as outputs, see
 * `newKeyValues.ts`; the token embedding read from the head's quantized
 * weights, see `embedding.ts`; a merged decoder's with-past branch lifted to the top
 * level first, see `unmerge.ts`), measures it against the source (`fidelity.ts`) and writes
 * it only if it meets the bounds. The output directory is a complete model
 * in the transformers.js layout (Muse serves `onnx/model_quantized.onnx`);
 * its `config.json` records the optimisation and the source file's sha256,
 * and the manifest `npm run model:publish` writes carries that record. The
 * source directory is not touched, so the original stays publishable.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { RUNTIME_FILES, WEIGHTS_FILE } from '#lib/model/manifest.ts';
import { gpt2Dims, OrtGpt2Model } from '#lib/model/ortGpt2.ts';
import { sessionOptions } from '#lib/model/sessionOptions.ts';
import { adaptTokenizer, type HfTokenizer } from '#lib/model/tokenizerAdapter.ts';
import { type AttentionKernel, fuseAttention } from './attention.ts';
import type { BlockSize, NBits } from './blocks.ts';
import {
  type EmbeddingRewrite,
  quantizeEmbedding,
  supportsGatherBlockQuantized,
} from './embedding.ts';
import {
  DEFAULT_BOUNDS,
  FIDELITY_PROMPTS,
  type Fidelity,
  type FidelityBounds,
  measureFidelity,
  meetsBounds,
} from './fidelity.ts';
import { fuseSkipLayerNorm } from './layerNorm.ts';
import { exposeNewKeyValues } from './newKeyValues.ts';
import { normaliseLogits, type RewrittenLayer, rewriteLinears } from './rewrite.ts';
import { liftCacheBranch } from './unmerge.ts';

const { onnx } = onnxProto;

/** Weight files of the known export layouts, in the order a source is looked for. */
export const SOURCE_FILES = [
  'onnx/model_quantized.onnx',
  'onnx/model_int8.onnx',
  'onnx/model_uint8.onnx',
  'onnx/decoder_model_merged_quantized.onnx',
  'onnx/model.onnx',
  'onnx/decoder_model_merged.onnx',
] as const;

/** Options of {@link optimizeModelDir}. */
export interface OptimizeOptions {
  inDir: string;
  outDir: string;
  bits: NBits;
  /** Bits of the LM head when other than `bits` (see `RewriteOptions.headBits`); the gate's bounds stay those of `bits`. */
  headBits?: NBits;
  blockSize: BlockSize;
  /** MatMulNBits `accuracy_level` (default 4: int8 compute). */
  accuracyLevel?: number;
  /** Fuse attention and residual layer norms into onnxruntime contrib ops (default true). */
  fuse?: boolean;
  /**
   * How fused attention is computed (default `mha`; `split` builds `present.*`
   * only on demand, see `splitAttention.ts` and the README for when it pays).
   */
  attention?: AttentionKernel;
  /** The source weights file inside `inDir` (default: the first of {@link SOURCE_FILES} present). */
  file?: string;
  /** Bounds of the gate (default {@link DEFAULT_BOUNDS} for the bits). */
  bounds?: FidelityBounds;
  /** Tokens sampled per prompt of the fixed text set (default 250: 2,000 tokens over 8 prompts). */
  tokensPerPrompt?: number;
  onProgress?: (step: string) => void;
}

/** What {@link optimizeModelDir} did. */
export interface OptimizeResult {
  source: { file: string; bytes: number; sha256: string };
  /** The optimized weights (`onnx/model_quantized.onnx`); absent when the gate refused. */
  output?: { bytes: number; sha256: string };
  layers: RewrittenLayer[];
  /** How the token embedding reads its table now (`embedding.ts`); absent when left as it was. */
  embedding?: EmbeddingRewrite;
  /** The source was a merged decoder whose with-past branch the graph now is (`unmerge.ts`). */
  mergedDecoder: boolean;
  /** What became contrib ops: see {@link Fusions}. */
  fused: Fusions;
  /** Layers with `new.{i}.key|value` outputs (0 when a layer's cache is written otherwise). */
  newKeyValues: number;
  fidelity: Fidelity;
  bounds: FidelityBounds;
  passed: boolean;
}

/** Subgraphs the optimizer fused into onnxruntime contrib ops. */
export interface Fusions {
  /** Transformer layers whose attention region was replaced (by `kernel`). */
  attention: number;
  /** How those layers compute attention (absent when none was fused). */
  kernel?: AttentionKernel;
  /** `Add → LayerNormalization` pairs that are one `SkipLayerNormalization` node. */
  skipLayerNorm: number;
}

/** The record `config.json` (and so the manifest) keeps of an optimisation. */
export interface OptimizationRecord {
  method: 'MatMulNBits';
  bits: NBits;
  /** The LM head's bits, when other than `bits`. */
  headBits?: NBits;
  blockSize: BlockSize;
  accuracyLevel: number;
  sourceFile: string;
  sourceSha256: string;
  layers: number;
  /** `head-shared`: the embedding looks rows up in the LM head's quantized weights; `quantized`: in its own. */
  embedding?: EmbeddingRewrite;
  /** `with_past`: the source was a merged decoder; the graph is its lifted with-past branch. */
  mergedDecoder?: 'with_past';
  /** What became contrib ops (absent when nothing was fused). */
  fused?: Fusions;
  /** Layers with `new.{i}.*` outputs (absent when none). */
  newKeyValues?: number;
  /** `log_softmax`: the `logits` output carries log-probabilities (see `normaliseLogits`). */
  logits?: 'log_softmax';
  fidelity: Fidelity;
  bounds: FidelityBounds;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Optimizes the model in `inDir` into `outDir`, unless the optimized
 * model's next-token log-probs are further from the source's than the
 * bounds allow (then nothing is written and `passed` is false).
 *
 * @example
 * ```ts
 * const r = await optimizeModelDir({ inDir: '.data/models/Xenova/gpt2', outDir: '.data/models/Xenova/gpt2-nbits8', bits: 8, blockSize: 32 });
 * ```
 */
export async function optimizeModelDir(options: OptimizeOptions): Promise<OptimizeResult> {
  const inDir = resolve(options.inDir);
  if (resolve(options.outDir) === inDir) {
    throw new Error(
      '--out must be another directory than --in: the source stays as it is (and publishable).',
    );
  }
  const file = options.file ?? (await firstSource(inDir));
  const sourceBytes = new Uint8Array(await readFile(join(inDir, file)));
  const config = JSON.parse(await readFile(join(inDir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  options.onProgress?.(`rewriting ${file} (${(sourceBytes.length / 1e6).toFixed(1)} MB)`);
  const model = onnx.ModelProto.decode(sourceBytes);
  const mergedDecoder = liftCacheBranch(model);
  const { layers } = rewriteLinears(model, {
    bits: options.bits,
    ...(options.headBits ? { headBits: options.headBits } : {}),
    blockSize: options.blockSize,
    accuracyLevel: options.accuracyLevel ?? 4,
  });
  if (layers.length === 0) {
    throw new Error(
      `${file} has no linear layer with a constant weight to rewrite; is it a GPT-2 export?`,
    );
  }
  const embedding = (await supportsGatherBlockQuantized())
    ? quantizeEmbedding(model, { bits: options.bits, blockSize: options.blockSize })
    : undefined;
  const heads = {
    numHeads: Number(config.n_head),
    headDim: Number(config.n_embd) / Number(config.n_head),
  };
  const fused: Fusions = { attention: 0, skipLayerNorm: 0 };
  if (options.fuse !== false) {
    const attention = fuseAttention(model, { ...heads, kernel: options.attention ?? 'mha' });
    fused.attention = attention.fused.length;
    if (fused.attention > 0) fused.kernel = attention.kernel;
    fused.skipLayerNorm = fuseSkipLayerNorm(model);
  }
  const newKeyValues = exposeNewKeyValues(model, heads);
  const normalised = normaliseLogits(model);
  const optimizedBytes = onnx.ModelProto.encode(model).finish();

  options.onProgress?.(`measuring fidelity on ${FIDELITY_PROMPTS.en.length} prompts`);
  const session = sessionOptions(1);
  const [sourceSession, optimizedSession, hf] = await Promise.all([
    ort.InferenceSession.create(sourceBytes, session),
    ort.InferenceSession.create(optimizedBytes, session),
    loadTokenizer(inDir),
  ]);
  const facts = adaptTokenizer(hf, config);
  const dims = { ...gpt2Dims(config as Record<string, number>), eosTokenId: facts.eosTokenId };
  const source = new OrtGpt2Model(sourceSession, facts.tokenizer, dims, {
    id: 'source',
    version: 'source',
    sha256: '',
    randomWeights: false,
    source: file,
  });
  const prompts = source.languageFit('en').fits ? FIDELITY_PROMPTS.en : FIDELITY_PROMPTS.zh;
  const fidelity = await measureFidelity(source, sourceSession, optimizedSession, dims, {
    prompts,
    tokensPerPrompt: options.tokensPerPrompt ?? 250,
  });
  await Promise.all([sourceSession.release(), optimizedSession.release()]);
  const bounds = options.bounds ?? DEFAULT_BOUNDS[options.bits];
  const passed = meetsBounds(fidelity, bounds);
  const result: OptimizeResult = {
    source: { file, bytes: sourceBytes.length, sha256: sha256(sourceBytes) },
    layers,
    ...(embedding ? { embedding } : {}),
    mergedDecoder,
    fused,
    newKeyValues,
    fidelity,
    bounds,
    passed,
  };
  if (!passed) return result;

  const outDir = resolve(options.outDir);
  await mkdir(join(outDir, 'onnx'), { recursive: true });
  const record: OptimizationRecord = {
    method: 'MatMulNBits',
    bits: options.bits,
    ...(options.headBits && options.headBits !== options.bits
      ? { headBits: options.headBits }
      : {}),
    blockSize: options.blockSize,
    accuracyLevel: options.accuracyLevel ?? 4,
    sourceFile: file,
    sourceSha256: result.source.sha256,
    layers: layers.length,
    ...(embedding ? { embedding } : {}),
    ...(mergedDecoder ? { mergedDecoder: 'with_past' as const } : {}),
    ...(fused.attention + fused.skipLayerNorm > 0 ? { fused } : {}),
    ...(newKeyValues > 0 ? { newKeyValues } : {}),
    ...(normalised ? { logits: 'log_softmax' as const } : {}),
    fidelity,
    bounds,
  };
  const muse = (config.muse ?? {}) as Record<string, unknown>;
  await writeFile(
    join(outDir, 'config.json'),
    `${JSON.stringify({ ...config, muse: { ...muse, optimization: record } }, null, 2)}\n`,
  );
  for (const f of RUNTIME_FILES) {
    if (f !== 'config.json' && f !== WEIGHTS_FILE) await copyFile(join(inDir, f), join(outDir, f));
  }
  await writeFile(join(outDir, WEIGHTS_FILE), optimizedBytes);
  result.output = { bytes: optimizedBytes.length, sha256: sha256(optimizedBytes) };
  return result;
}

async function firstSource(dir: string): Promise<string> {
  for (const f of SOURCE_FILES) if (await exists(join(dir, f))) return f;
  throw new Error(`${dir} has none of ${SOURCE_FILES.join(', ')}.`);
}

/** The model's own tokenizer, from its directory (local files only). */
async function loadTokenizer(dir: string): Promise<HfTokenizer> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(dir)}/`;
  return (await AutoTokenizer.from_pretrained(basename(dir))) as unknown as HfTokenizer;
}
