import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { loadModel } from '#lib/model/loadModel.ts';
import type { Manifest } from '#lib/model/manifest.ts';
import { gpt2Dims, OrtGpt2Model, type Tokenizer } from '#lib/model/ortGpt2.ts';
import type { TextModel } from '#lib/model/textModel.ts';
import { buildModel, type TokenizerName } from '#tools/model/builder/buildModel.ts';
import { publishModel } from '#tools/model/publish.ts';
import { testClients } from './clients.ts';

let built: Promise<string> | undefined;

/** The tiny model's two weight files: int8 dynamic (what Muse serves) and fp32. */
export type TinyWeights = 'q8' | 'fp32';
const WEIGHT_FILES: Record<TinyWeights, string> = {
  q8: 'onnx/model_quantized.onnx',
  fp32: 'onnx/model.onnx',
};

const tinyConfig = async () =>
  JSON.parse(await readFile(join(await tinyModelDir(), 'config.json'), 'utf8')) as Record<
    string,
    number
  >;

/**
 * Muse's {@link OrtGpt2Model} over the tiny model's **fp32** weights, with
 * `tokenizer`'s encode/decode. q8 weights quantize activations per call (the
 * scale depends on the whole batch), so algorithmic equalities (KV reuse vs a
 * full forward) are checked exactly here and within quantization noise on q8.
 */
export async function tinyFp32Model(tokenizer: Tokenizer): Promise<OrtGpt2Model> {
  const dir = await tinyModelDir();
  const config = await tinyConfig();
  const session = await ort.InferenceSession.create(join(dir, WEIGHT_FILES.fp32));
  return new OrtGpt2Model(session, tokenizer, gpt2Dims(config), {
    id: 'test/tiny-fp32',
    version: 'fp32',
    sha256: '',
    randomWeights: true,
    source: 'built:tiny',
  });
}

/** Builds the tiny random-weight GPT-2 once per test file; returns its directory. */
export function tinyModelDir(): Promise<string> {
  built ??= (async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'muse-tiny-')), 'model');
    await buildModel({ shape: 'tiny', outDir: dir });
    return dir;
  })();
  return built;
}

let builtZh: Promise<string> | undefined;

/** Builds the tiny random-weight Chinese GPT-2 (generated WordPiece vocabulary) once per test file. */
export function tinyZhModelDir(): Promise<string> {
  builtZh ??= (async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'muse-tiny-zh-')), 'model');
    await buildModel({ shape: 'tiny', tokenizer: 'zh', outDir: dir });
    return dir;
  })();
  return builtZh;
}

/** Publishes the tiny model (or with `tokenizer: 'zh'` the Chinese one) to the test bucket under a fresh id. */
export async function publishTinyModel(
  idPrefix = 'test/tiny',
  tokenizer: TokenizerName = 'gpt2',
): Promise<Manifest> {
  const { s3, cfg } = testClients();
  const id = `${idPrefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  return publishModel({
    s3,
    bucket: cfg.modelBucket,
    dir: await (tokenizer === 'zh' ? tinyZhModelDir() : tinyModelDir()),
    id,
    source: tokenizer === 'zh' ? 'built:tiny-zh' : 'built:tiny',
    randomWeights: true,
  });
}

/**
 * Loads a published tiny model through Muse's loader (S3, cache, session),
 * into a fresh cache directory.
 */
export async function loadTinyModel(manifest: Manifest, cachePrefix: string): Promise<TextModel> {
  const { s3, cfg } = testClients();
  const loaded = await loadModel({
    s3,
    bucket: cfg.modelBucket,
    id: manifest.id,
    version: 'current',
    cacheDir: await mkdtemp(join(tmpdir(), `${cachePrefix}-`)),
  });
  return loaded.model;
}

/**
 * Log-probabilities of `tokens[from..]` computed independently of Muse's
 * model code: one ONNX Runtime session over the whole sequence (no KV
 * cache reuse), log-softmax written out here.
 */
export async function fullSequenceLogprobs(
  tokens: number[],
  from: number,
  weights: TinyWeights = 'q8',
): Promise<number[]> {
  const dir = await tinyModelDir();
  const config = await tinyConfig();
  const session = await ort.InferenceSession.create(join(dir, WEIGHT_FILES[weights]));
  const T = tokens.length;
  const ids = (values: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, T]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: ids(tokens),
    attention_mask: ids(tokens.map(() => 1)),
    position_ids: ids(tokens.map((_, i) => i)),
  };
  const nHead = config.n_head as number;
  const headDim = (config.n_embd as number) / nHead;
  for (let i = 0; i < (config.n_layer as number); i++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        nHead,
        0,
        headDim,
      ]);
    }
  }
  const out = await session.run(feeds);
  const logits = out.logits?.data as Float32Array;
  const V = config.vocab_size as number;
  const result: number[] = [];
  for (let t = from; t < T; t++) {
    const row = Array.from(logits.subarray((t - 1) * V, t * V));
    const max = Math.max(...row);
    const logSum = Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) + max;
    result.push((row[tokens[t] as number] as number) - logSum);
  }
  await session.release();
  return result;
}
