import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildGpt2Onnx,
  buildMergedGpt2Onnx,
  GPT2_EOS_TOKEN_ID,
  type Gpt2Shape,
  type QuantizedLayout,
  randomWeights,
  SHAPES,
  type ShapeName,
} from './gpt2.ts';
import { gpt2TokenizerFiles, zhTokenizerFiles } from './tokenizer.ts';
import { zhVocabularyText } from './zhVocabulary.ts';

/** Tokenizers the builder can give a model: GPT-2's real byte-level BPE, or a generated Chinese WordPiece vocabulary. */
export const TOKENIZERS = ['gpt2', 'zh'] as const;
/** A tokenizer the builder can give a model. */
export type TokenizerName = (typeof TOKENIZERS)[number];

/** Options for {@link buildModel}. */
export interface BuildModelOptions {
  shape: ShapeName;
  /** Output directory (the model id's folder, transformers.js layout). */
  outDir: string;
  /** Weight seed; the same seed gives byte-identical files. */
  seed?: number;
  /** `gpt2` (default) or `zh`: see {@link zhTokenizerFiles}. */
  tokenizer?: TokenizerName;
  /** Layout of `onnx/model_quantized.onnx`: `muse` (default) or transformers.js v3's `v3` (fp32 head and embeddings). */
  layout?: QuantizedLayout;
  /**
   * Write the legacy merged decoders instead (`onnx/decoder_model_merged.onnx`
   * and, in `layout`, `onnx/decoder_model_merged_quantized.onnx`: see
   * {@link buildMergedGpt2Onnx}), as older transformers.js exports such as
   * `Xenova/gpt2`'s ship them. Muse serves `onnx/model_quantized.onnx`, so
   * such a directory is a source for `npm run model:optimize`, not a model to publish as is.
   */
  merged?: boolean;
  /** Called as each file is written. */
  onProgress?: (file: string, bytes: number) => void;
}

/** A file the builder wrote. */
export interface BuiltFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** Default weight seed. */
export const DEFAULT_MODEL_SEED = 20261122;

/** The `config.json` of a GPT-2 model in the transformers.js layout. */
export function gpt2Config(
  shape: Gpt2Shape,
  seed: number,
  tokenizer: TokenizerName = 'gpt2',
): Record<string, unknown> {
  return {
    model_type: 'gpt2',
    architectures: ['GPT2LMHeadModel'],
    vocab_size: shape.vocabSize,
    n_positions: shape.nPositions,
    n_ctx: shape.nPositions,
    n_embd: shape.nEmbd,
    n_layer: shape.nLayer,
    n_head: shape.nHead,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    bos_token_id: GPT2_EOS_TOKEN_ID,
    eos_token_id: GPT2_EOS_TOKEN_ID,
    // A BERT-vocabulary export keeps GPT2Config's default ids (50256, outside its vocabulary),
    // as transformers writes them: the loader must find [SEP] from the tokenizer.
    ...(tokenizer === 'zh' ? { tokenizer_class: 'BertTokenizer' } : {}),
    // Muse's own marker: every response names the model and says when its weights are random.
    muse: {
      random_weights: true,
      shape: shape.name,
      seed,
      tokenizer,
      builder: 'muse-model-builder',
    },
  };
}

/**
 * Writes a GPT-2-architecture model that transformers.js loads like a real
 * export: config, generation config, tokenizer (real GPT-2 BPE, or with
 * `tokenizer: 'zh'` a generated Chinese WordPiece vocabulary laid out like
 * `uer/gpt2-chinese-cluecorpussmall`'s) and
 * `onnx/model.onnx` (fp32) plus `onnx/model_quantized.onnx` (int8 dynamic),
 * or with `merged` the legacy merged decoders.
 * Weights are seeded random: the output is a correct, reproducible stand-in
 * for benchmarks and tests, not a trained model.
 *
 * @example
 * ```ts
 * await buildModel({ shape: 'tiny', outDir: '.data/models/muse/gpt2-tiny' });
 * ```
 */
export async function buildModel(options: BuildModelOptions): Promise<BuiltFile[]> {
  const base = SHAPES[options.shape];
  if (!base)
    throw new Error(
      `Unknown shape "${options.shape}"; use one of ${Object.keys(SHAPES).join(', ')}.`,
    );
  const seed = options.seed ?? DEFAULT_MODEL_SEED;
  const tokenizerName = options.tokenizer ?? 'gpt2';
  const zh = tokenizerName === 'zh' ? zhTokenizerFiles(zhVocabularyText()) : undefined;
  const shape = zh ? { ...base, vocabSize: zh.vocabSize } : base;
  await mkdir(join(options.outDir, 'onnx'), { recursive: true });
  const files: BuiltFile[] = [];
  const write = async (path: string, data: Uint8Array | string) => {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    await writeFile(join(options.outDir, path), bytes);
    const file = {
      path,
      bytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    files.push(file);
    options.onProgress?.(path, file.bytes);
  };
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

  const { tokenizer, tokenizerConfig } = zh ?? (await gpt2TokenizerFiles());
  await write('config.json', json(gpt2Config(shape, seed, tokenizerName)));
  await write(
    'generation_config.json',
    json({
      bos_token_id: GPT2_EOS_TOKEN_ID,
      eos_token_id: GPT2_EOS_TOKEN_ID,
      max_length: shape.nPositions,
    }),
  );
  await write('tokenizer.json', JSON.stringify(tokenizer));
  await write('tokenizer_config.json', json(tokenizerConfig));
  const weights = randomWeights(shape, seed);
  const layout = options.layout ?? 'muse';
  if (options.merged) {
    await write('onnx/decoder_model_merged.onnx', buildMergedGpt2Onnx(shape, weights, false));
    await write(
      'onnx/decoder_model_merged_quantized.onnx',
      buildMergedGpt2Onnx(shape, weights, true, layout),
    );
  } else {
    await write('onnx/model.onnx', buildGpt2Onnx(shape, weights, false));
    await write('onnx/model_quantized.onnx', buildGpt2Onnx(shape, weights, true, layout));
  }
  return files;
}
