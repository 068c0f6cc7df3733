import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { DType, GraphBuilder } from '#lib/model/onnxGraph.ts';
import type { OrtGpt2Model } from '#lib/model/ortGpt2.ts';
import type { GeneratedSequence } from '#lib/model/textModel.ts';
import { SeededRandom } from '#lib/random.ts';
import { testClients } from '#test/support/clients.ts';
import { loadTinyModel, tinyModelDir } from '#test/support/tinyModel.ts';
import { buildModel } from '#tools/model/builder/buildModel.ts';
import { dequantizeBlocks, quantizeBlocks } from '#tools/model/optimize/blocks.ts';
import { type OptimizeResult, optimizeModelDir } from '#tools/model/optimize/optimize.ts';
import { rewriteLinears } from '#tools/model/optimize/rewrite.ts';
import { describeModelDir, publishModel } from '#tools/model/publish.ts';

const { onnx } = onnxProto;
/** 8 prompts × 40 tokens: enough to judge the tiny model, a few seconds. */
const TOKENS_PER_PROMPT = 40;
const OPTIMIZE_TIMEOUT_MS = 120_000;

const ioNames = async (file: string) => {
  const g = onnx.ModelProto.decode(await readFile(file)).graph as onnxProto.onnx.IGraphProto;
  return {
    inputs: (g.input ?? []).map((i) => i.name),
    outputs: (g.output ?? []).map((o) => o.name),
    ops: (g.node ?? []).map((n) => n.opType),
  };
};

/** The outputs the optimizer adds after the source's: each layer's new keys and values (`newKeyValues.ts`). */
const newKeyValueOutputs = (layers: number) =>
  Array.from({ length: layers }, (_, i) => [`new.${i}.key`, `new.${i}.value`]).flat();

/**
 * Publishes `dir`, loads it with Muse's loader and decodes 8 greedy tokens of the pinned prompt;
 * also how many columns each decode step's mask has beyond the past it feeds, and what
 * `use_cache_branch` each run was fed.
 */
async function serveGreedy(dir: string, name: string) {
  const { s3, cfg } = testClients();
  const manifest = await publishModel({
    s3,
    bucket: cfg.modelBucket,
    dir,
    id: `test/${name}-${Date.now()}`,
    source: 'built:tiny',
    randomWeights: true,
  });
  const model = (await loadTinyModel(manifest, `muse-${name}-load`)) as OrtGpt2Model;
  const session = (model as unknown as { session: ort.InferenceSession }).session;
  const extra = new Set<number>();
  const cacheBranch: boolean[] = [];
  const run = session.run.bind(session);
  session.run = ((feeds: Record<string, ort.Tensor>, fetches?: string[]) => {
    const past = feeds['past_key_values.0.key']?.dims[2] as number;
    if (fetches && past > 0) extra.add((feeds.attention_mask?.dims[1] as number) - past);
    if (feeds.use_cache_branch) cacheBranch.push(Boolean(feeds.use_cache_branch.data[0]));
    return run(feeds, fetches as string[]);
  }) as typeof session.run;
  const out = await model.generate(model.encode('Spring sale on trail shoes'), {
    n: 1,
    maxNewTokens: 8,
    temperature: 0,
    topK: 0,
    topP: 1,
    seed: 1,
  });
  const stridedCache = model.stridedCache;
  await model.dispose();
  return {
    tokens: out.sequences[0]?.tokens,
    stridedCache,
    maskExtra: [...extra],
    /** `use_cache_branch` as each run fed it (merged decoders). */
    cacheBranch,
    kernel: manifest.optimization?.fused?.kernel,
  };
}

let q8: OptimizeResult;
let q8Out: string;

beforeAll(async () => {
  q8Out = join(await mkdtemp(join(tmpdir(), 'muse-opt-')), 'nbits8');
  q8 = await optimizeModelDir({
    inDir: await tinyModelDir(),
    outDir: q8Out,
    bits: 8,
    blockSize: 32,
    tokensPerPrompt: TOKENS_PER_PROMPT,
  });
}, OPTIMIZE_TIMEOUT_MS);

describe('block quantization for MatMulNBits', () => {
  it('packs 4-bit codes low nibble first and keeps every weight within half a step of its block', () => {
    const rng = new SeededRandom(3);
    const K = 70;
    const N = 5;
    const w = rng.normals(K * N, 0.02);
    for (const bits of [4, 8] as const) {
      const q = quantizeBlocks(w, K, N, { bits, blockSize: 32 });
      const back = dequantizeBlocks(q, K, N, { bits, blockSize: 32 });
      expect(q.kBlocks).toBe(3);
      for (let k = 0; k < K; k++) {
        for (let n = 0; n < N; n++) {
          const step = q.scales[n * q.kBlocks + Math.floor(k / 32)] as number;
          expect(
            Math.abs((back[k * N + n] as number) - (w[k * N + n] as number)),
          ).toBeLessThanOrEqual(step / 2 + 1e-9);
        }
      }
    }
    const one = quantizeBlocks(Float32Array.from([7, -7, 0, 0]), 4, 1, { bits: 4, blockSize: 32 });
    expect([...one.packed.slice(0, 2)]).toEqual([15 | (1 << 4), 8 | (8 << 4)]);
  });
});

describe('npm run model:optimize on the tiny model (Muse’s q8 layout)', () => {
  it('rewrites all 9 linear layers (8 in the blocks, the LM head) keeps every input and output name, and adds each layer’s new keys and values', async () => {
    const source = await ioNames(join(await tinyModelDir(), 'onnx', 'model_quantized.onnx'));
    const out = await ioNames(join(q8Out, 'onnx', 'model_quantized.onnx'));

    expect(q8.layers).toHaveLength(9);
    expect(q8.layers.every((l) => l.from === 'MatMulInteger')).toBe(true);
    expect(out.inputs).toEqual(source.inputs);
    expect(out.outputs).toEqual([...source.outputs, ...newKeyValueOutputs(2)]);
    expect(q8.newKeyValues).toBe(2);
    expect(out.ops.filter((o) => o === 'MatMulNBits')).toHaveLength(9);
    expect(out.ops).not.toContain('MatMulInteger');
  });

  it('looks the token embedding up in the LM head’s 8-bit weights, so the int8 table leaves the file', async () => {
    const graph = onnx.ModelProto.decode(
      await readFile(join(q8Out, 'onnx', 'model_quantized.onnx')),
    ).graph as onnxProto.onnx.IGraphProto;
    const lookup = graph.node?.find((n) => n.opType === 'GatherBlockQuantized');
    const head = graph.node?.find(
      (n) =>
        n.opType === 'MatMulNBits' && Number(n.attribute?.find((a) => a.name === 'N')?.i) === 50257,
    );

    expect(q8.embedding).toBe('head-shared');
    expect(lookup?.input?.[0]).toBe(head?.input?.[1]);
    expect((graph.initializer ?? []).map((t) => t.name)).not.toContain('wte_quantized');
    // The 8-bit head replaces the int8 table and the int8 head: one V × E table, not two.
    expect(q8.output?.bytes).toBeLessThan(0.7 * q8.source.bytes);
  });

  it('meets the 8-bit bound and records the optimisation and the source sha256 in config.json and the manifest', async () => {
    expect(q8.passed).toBe(true);
    expect(q8.fidelity.meanKl).toBeLessThan(q8.bounds.maxMeanKl);
    expect(q8.fidelity.tokens).toBe(8 * TOKENS_PER_PROMPT);
    const manifest = describeModelDir({
      dir: q8Out,
      id: 'test/opt',
      source: 'built:tiny',
      randomWeights: true,
    });

    expect(manifest.optimization).toMatchObject({
      method: 'MatMulNBits',
      bits: 8,
      blockSize: 32,
      accuracyLevel: 4,
      sourceFile: 'onnx/model_quantized.onnx',
      sourceSha256: q8.source.sha256,
      layers: 9,
      embedding: 'head-shared',
      fused: { attention: 2, kernel: 'mha', skipLayerNorm: 5 },
    });
  });

  it('is served by Muse’s loader, and greedy decoding gives the pinned tokens (the source’s)', async () => {
    const served = await serveGreedy(q8Out, 'opt');

    expect(served.tokens).toEqual(PINNED_GREEDY);
    // The optimized graph's new.{i}.* outputs: the loop keeps its own cache (mask: past + the new token).
    expect(served.stridedCache).toBe(true);
    expect(served.maskExtra).toEqual([1]);
  });

  it(
    'with --attention split: recorded, served by Muse’s loader asking for present.* on demand, and the pinned greedy tokens',
    async () => {
      const dir = join(await mkdtemp(join(tmpdir(), 'muse-opt-split-')), 'nbits8');
      const r = await optimizeModelDir({
        inDir: await tinyModelDir(),
        outDir: dir,
        bits: 8,
        blockSize: 32,
        tokensPerPrompt: TOKENS_PER_PROMPT,
        attention: 'split',
      });
      expect(r.passed).toBe(true);
      expect(r.fused).toEqual({ attention: 2, kernel: 'split', skipLayerNorm: 5 });
      const { inputs, outputs } = await ioNames(join(dir, 'onnx', 'model_quantized.onnx'));
      const source = await ioNames(join(await tinyModelDir(), 'onnx', 'model_quantized.onnx'));
      expect(inputs).toEqual(source.inputs);
      expect(outputs).toEqual([...source.outputs, ...newKeyValueOutputs(2)]);

      const served = await serveGreedy(dir, 'opt-split');
      expect(served.kernel).toBe('split');
      expect(served.tokens).toEqual(PINNED_GREEDY);
      expect(served.stridedCache).toBe(true);
      // Each step's mask: past + the new token + the column that asks for present.* on demand.
      expect(served.maskExtra).toEqual([2]);
    },
    OPTIMIZE_TIMEOUT_MS,
  );

  it('ends the graph in a LogSoftmax that keeps the logits name (recorded), so Muse reads sampled log-probs off the row: the source’s, within 8-bit error', async () => {
    const file = join(q8Out, 'onnx', 'model_quantized.onnx');
    const { outputs, ops } = await ioNames(file);
    expect(outputs).toContain('logits');
    expect(ops.filter((op) => op === 'LogSoftmax')).toHaveLength(1);
    expect(
      describeModelDir({ dir: q8Out, id: 'test/opt', source: 'x', randomWeights: true })
        .optimization?.logits,
    ).toBe('log_softmax');

    // Each row of the output is a distribution: its exps sum to 1.
    const session = await ort.InferenceSession.create(file);
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from([5n, 9n, 2n]), [1, 3]),
      attention_mask: new ort.Tensor('int64', BigInt64Array.from([1n, 1n, 1n]), [1, 3]),
      position_ids: new ort.Tensor('int64', BigInt64Array.from([0n, 1n, 2n]), [1, 3]),
    };
    for (const name of session.inputNames.filter((n) => n.startsWith('past_key_values'))) {
      const meta = session.inputMetadata.find((m) => m.name === name) as unknown as {
        shape: readonly number[];
      };
      const [, heads, , dim] = meta.shape as number[];
      feeds[name] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        heads as number,
        0,
        dim as number,
      ]);
    }
    const logits = (await session.run(feeds)).logits as ort.Tensor;
    const vocab = logits.dims.at(-1) as number;
    const data = logits.data as Float32Array;
    for (let row = 0; row < 3; row++) {
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(data[row * vocab + v] as number);
      expect(sum).toBeCloseTo(1, 4);
    }
    await session.release();

    const { s3, cfg } = testClients();
    const publish = (dir: string, id: string) =>
      publishModel({
        s3,
        bucket: cfg.modelBucket,
        dir,
        id,
        source: 'built:tiny',
        randomWeights: true,
      });
    const source = await loadTinyModel(
      await publish(await tinyModelDir(), `test/src-${Date.now()}`),
      'muse-opt-src',
    );
    const optimized = await loadTinyModel(
      await publish(q8Out, `test/opt-lp-${Date.now()}`),
      'muse-opt-lp',
    );
    expect(
      (optimized as unknown as { dims: { logitsAreLogProbs?: boolean } }).dims.logitsAreLogProbs,
    ).toBe(true);
    expect(
      (source as unknown as { dims: { logitsAreLogProbs?: boolean } }).dims.logitsAreLogProbs,
    ).toBe(false);
    const options = { n: 1, maxNewTokens: 8, temperature: 0, topK: 0, topP: 1, seed: 1 };
    const prompt = source.encode('Spring sale on trail shoes');
    const [a, b] = [
      await source.generate(prompt, options),
      await optimized.generate(prompt, options),
    ];
    const [src, opt] = [a.sequences[0], b.sequences[0]] as [GeneratedSequence, GeneratedSequence];
    expect(opt.tokens).toEqual(src.tokens);
    expect(opt.logprobs).toHaveLength(src.logprobs.length);
    opt.logprobs.forEach((lp, i) => {
      expect(lp).toBeLessThan(0);
      expect(Math.abs(lp - (src.logprobs[i] as number))).toBeLessThan(0.05);
    });
    // Scoring continuations (recommend's path) reads the rows too.
    const continuations = [prompt.slice(0, 3), prompt.slice(1, 5)];
    const [sa, sb] = [
      await source.scoreContinuations(prompt, continuations),
      await optimized.scoreContinuations(prompt, continuations),
    ];
    for (const [i, row] of sb.entries()) {
      expect(row).toHaveLength(sa[i]?.length ?? -1);
      for (const [j, lp] of row.entries()) {
        expect(Math.abs(lp - (sa[i]?.[j] as number))).toBeLessThan(0.05);
      }
    }
    await Promise.all([source.dispose(), optimized.dispose()]);
  });

  it(
    'rewrites the fp32 layout too (onnx/model.onnx, plain MatMul)',
    async () => {
      const r = await optimizeModelDir({
        inDir: await tinyModelDir(),
        outDir: join(await mkdtemp(join(tmpdir(), 'muse-opt-')), 'fp32-nbits8'),
        file: 'onnx/model.onnx',
        bits: 8,
        blockSize: 32,
        tokensPerPrompt: TOKENS_PER_PROMPT,
      });

      expect(r.layers).toHaveLength(9);
      expect(r.layers.every((l) => l.from === 'MatMul')).toBe(true);
      expect(r.passed).toBe(true);
      expect(r.fused).toEqual({ attention: 2, kernel: 'mha', skipLayerNorm: 5 });
    },
    OPTIMIZE_TIMEOUT_MS,
  );

  /** A tiny build in `layout`, optimized to 8 bits: the report, and the source's and output's graphs. */
  const optimizeLayout = async (layout: 'v3' | 'v3-uint8') => {
    const inDir = join(await mkdtemp(join(tmpdir(), `muse-opt-${layout}-`)), 'model');
    await buildModel({ shape: 'tiny', outDir: inDir, layout });
    const outDir = join(inDir, '..', 'nbits8');
    const r = await optimizeModelDir({
      inDir,
      outDir,
      bits: 8,
      blockSize: 128,
      tokensPerPrompt: TOKENS_PER_PROMPT,
    });
    const file = join('onnx', 'model_quantized.onnx');
    return {
      r,
      inDir,
      source: await ioNames(join(inDir, file)),
      out: await ioNames(join(outDir, file)),
    };
  };

  it(
    'rewrites transformers.js v3’s layout (int8 linears, fp32 head tied to the embedding by a Transpose)',
    async () => {
      const { r, source, out } = await optimizeLayout('v3');

      expect(r.layers.map((l) => l.from)).toEqual([
        ...Array(8).fill('MatMulInteger'),
        'MatMul(Transpose)',
      ]);
      expect(r.passed).toBe(true);
      expect(r.fused).toEqual({ attention: 2, kernel: 'mha', skipLayerNorm: 5 });
      // The lookup reads the head's 8-bit weights: the fp32 table (tied to the head) is gone.
      expect(r.embedding).toBe('head-shared');
      expect(out.ops).toContain('GatherBlockQuantized');
      // The fp32 table was 4 bytes a weight; the shared 8-bit rows are 2 here (block 128 pads tiny's 64).
      expect(r.output?.bytes).toBeLessThan(0.6 * r.source.bytes);
      expect(out.ops).not.toContain('MatMulInteger');
      expect(out.ops.filter((o) => o === 'MatMulNBits')).toHaveLength(9);
      expect([out.inputs, out.outputs]).toEqual([
        source.inputs,
        [...source.outputs, ...newKeyValueOutputs(2)],
      ]);
    },
    OPTIMIZE_TIMEOUT_MS,
  );

  it(
    'rewrites transformers.js v3’s uint8 layout (asymmetric uint8 weights with zero points, fp32 tied head)',
    async () => {
      const { r, inDir, source, out } = await optimizeLayout('v3-uint8');

      // The stand-in is what quantize_dynamic(QUInt8) writes: uint8 weights, uint8 zero points ≠ 0.
      const graph = onnx.ModelProto.decode(
        await readFile(join(inDir, 'onnx', 'model_quantized.onnx')),
      ).graph;
      const inits = new Map((graph?.initializer ?? []).map((t) => [t.name, t]));
      const mmi = (graph?.node ?? []).filter((n) => n.opType === 'MatMulInteger');
      const weights = mmi.map((n) => inits.get(n.input?.[1]));
      const zeroPoints = mmi.map((n) => inits.get(n.input?.[3]));
      const UINT8 = onnx.TensorProto.DataType.UINT8;
      expect(weights.map((t) => t?.dataType)).toEqual(Array(8).fill(UINT8));
      expect(zeroPoints.every((t) => t?.dataType === UINT8)).toBe(true);
      expect(zeroPoints.some((t) => (t?.rawData?.[0] ?? 0) !== 0)).toBe(true);
      // The rewrite dequantizes through the zero points: within the 8-bit gate.
      expect(r.layers.map((l) => l.from)).toEqual([
        ...Array(8).fill('MatMulInteger'),
        'MatMul(Transpose)',
      ]);
      expect(r.passed).toBe(true);
      expect(r.fused).toEqual({ attention: 2, kernel: 'mha', skipLayerNorm: 5 });
      expect(out.ops).not.toContain('MatMulInteger');
      expect([out.inputs, out.outputs]).toEqual([
        source.inputs,
        [...source.outputs, ...newKeyValueOutputs(2)],
      ]);
    },
    OPTIMIZE_TIMEOUT_MS,
  );

  describe('a merged decoder (the legacy decoder_model_merged_quantized.onnx: one If on use_cache_branch)', () => {
    let inDir: string;
    let outDir: string;
    let r: OptimizeResult;
    const MERGED_FILE = join('onnx', 'decoder_model_merged_quantized.onnx');
    beforeAll(async () => {
      inDir = join(await mkdtemp(join(tmpdir(), 'muse-opt-merged-')), 'model');
      await buildModel({ shape: 'tiny', outDir: inDir, merged: true });
      outDir = join(inDir, '..', 'nbits8');
      r = await optimizeModelDir({
        inDir,
        outDir,
        bits: 8,
        blockSize: 32,
        tokensPerPrompt: TOKENS_PER_PROMPT,
      });
    }, OPTIMIZE_TIMEOUT_MS);

    it('is served as published by Muse’s loader, which feeds use_cache_branch false then true, with the pinned greedy tokens', async () => {
      const asPublished = join(inDir, '..', 'as-published');
      await mkdir(join(asPublished, 'onnx'), { recursive: true });
      for (const f of [
        'config.json',
        'generation_config.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ])
        await copyFile(join(inDir, f), join(asPublished, f));
      await copyFile(join(inDir, MERGED_FILE), join(asPublished, 'onnx', 'model_quantized.onnx'));

      const served = await serveGreedy(asPublished, 'merged-src');

      expect(served.tokens).toEqual(PINNED_GREEDY);
      expect(served.stridedCache).toBe(false);
      expect(served.cacheBranch).toEqual([false, ...Array(7).fill(true)]);
    });

    it('lifts the with-past branch, rewrites its 9 linear layers, meets the 8-bit bound and keeps every input name (use_cache_branch too)', async () => {
      const source = await ioNames(join(inDir, MERGED_FILE));
      const out = await ioNames(join(outDir, 'onnx', 'model_quantized.onnx'));

      expect(r.source.file).toBe(MERGED_FILE);
      expect(r.mergedDecoder).toBe(true);
      expect(r.layers.map((l) => l.from)).toEqual(Array(9).fill('MatMulInteger'));
      expect(r.passed).toBe(true);
      expect(r.fused).toEqual({ attention: 2, kernel: 'mha', skipLayerNorm: 5 });
      expect(source.ops).toEqual(['If']);
      expect(out.ops).not.toContain('If');
      expect(out.ops.filter((o) => o === 'MatMulNBits')).toHaveLength(9);
      expect([out.inputs, out.outputs]).toEqual([
        source.inputs,
        [...source.outputs, ...newKeyValueOutputs(2)],
      ]);
      expect(
        describeModelDir({
          dir: outDir,
          id: 'test/merged',
          source: 'built:tiny',
          randomWeights: true,
        }).optimization,
      ).toMatchObject({ sourceFile: MERGED_FILE, mergedDecoder: 'with_past', layers: 9 });
    });

    it('is served by Muse’s loader with its own strided cache and gives the pinned greedy tokens', async () => {
      const served = await serveGreedy(outDir, 'opt-merged');

      expect(served.tokens).toEqual(PINNED_GREEDY);
      expect(served.stridedCache).toBe(true);
      expect(served.maskExtra).toEqual([1]);
    });
  });

  it(
    'with --head-bits 8: 4-bit blocks and an 8-bit LM head (the layer that writes logits), recorded',
    async () => {
      const outDir = join(await mkdtemp(join(tmpdir(), 'muse-opt-')), 'nbits4-head8');
      const r = await optimizeModelDir({
        inDir: await tinyModelDir(),
        outDir,
        bits: 4,
        headBits: 8,
        blockSize: 32,
        // Written whatever the gate says: this test is about the layout, not the 4-bit bound.
        bounds: { maxMeanKl: 1e9, minTop1: 0 },
        tokensPerPrompt: TOKENS_PER_PROMPT,
      });
      const graph = onnx.ModelProto.decode(
        await readFile(join(outDir, 'onnx', 'model_quantized.onnx')),
      ).graph;
      const bitsOf = (graph?.node ?? [])
        .filter((n) => n.opType === 'MatMulNBits')
        .map((n) => Number(n.attribute?.find((a) => a.name === 'bits')?.i));

      expect(r.layers.map((l) => l.bits)).toEqual([...Array(8).fill(4), 8]);
      expect(r.layers.at(-1)?.N).toBe(50257);
      expect(bitsOf.sort()).toEqual([...Array(8).fill(4), 8]);
      expect(
        describeModelDir({ dir: outDir, id: 'test/h8', source: 'built:tiny', randomWeights: true })
          .optimization,
      ).toMatchObject({ bits: 4, headBits: 8 });
    },
    OPTIMIZE_TIMEOUT_MS,
  );

  it(
    'refuses, writing nothing, when the optimized model is outside the bounds',
    async () => {
      const outDir = join(await mkdtemp(join(tmpdir(), 'muse-opt-')), 'refused');
      const r = await optimizeModelDir({
        inDir: await tinyModelDir(),
        outDir,
        bits: 4,
        blockSize: 128,
        bounds: { maxMeanKl: 1e-12, minTop1: 1 },
        tokensPerPrompt: TOKENS_PER_PROMPT,
      });

      expect(r.passed).toBe(false);
      expect(r.fidelity.meanKl).toBeGreaterThan(1e-12);
      expect(r.output).toBeUndefined();
      expect(existsSync(outDir)).toBe(false);
    },
    OPTIMIZE_TIMEOUT_MS,
  );
});

describe('model:optimize arguments', () => {
  it('refuses to write over its source directory', async () => {
    const dir = await tinyModelDir();
    await expect(
      optimizeModelDir({ inDir: dir, outDir: `${dir}/`, bits: 8, blockSize: 128 }),
    ).rejects.toThrow(/--out must be another directory than --in/);
  });
});

describe('the rewrite of a tied head (MatMul of a transposed embedding table)', () => {
  it('gives the head its own quantized copy, keeps the table for the lookup, and matches fp32 within 8-bit rounding', async () => {
    const V = 40;
    const E = 64;
    const wte = new SeededRandom(9).normals(V * E, 0.02);
    const g = new GraphBuilder();
    const ids = g.input('input_ids', DType.int64, ['n']);
    const table = g.tensor('wte', DType.float, [V, E], wte);
    const h = g.op1('Gather', [table, ids], { axis: 0 });
    g.op('MatMul', [h, g.op1('Transpose', [table], { perm: [1, 0] })], {}, { outputs: ['logits'] });
    g.output('logits', DType.float, ['n', V]);
    const source = g.encode('tied', 17, 'test');
    const model = onnx.ModelProto.decode(source);
    const report = rewriteLinears(model, { bits: 8, blockSize: 32 });
    const optimized = onnx.ModelProto.encode(model).finish();
    const feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from([1n, 7n, 39n]), [3]) };
    const [a, b] = await Promise.all(
      [source, optimized].map(async (bytes) => {
        const s = await ort.InferenceSession.create(bytes);
        return (await s.run(feeds)).logits?.data as Float32Array;
      }),
    );

    expect(report.layers).toEqual([
      { output: 'logits', from: 'MatMul(Transpose)', K: E, N: V, bits: 8 },
    ]);
    expect(model.graph?.node?.map((n) => n.opType)).toEqual(['Gather', 'MatMulNBits']);
    const scale = Math.max(...[...(a as Float32Array)].map(Math.abs));
    for (let i = 0; i < (a as Float32Array).length; i++) {
      expect(
        Math.abs(((a as Float32Array)[i] as number) - ((b as Float32Array)[i] as number)),
      ).toBeLessThan(scale * 0.02);
    }
  });
});

/** Greedy tokens of the optimized tiny model from the pinned prompt: the source q8 model's own (seeded-output.test). */
const PINNED_GREEDY: number[] = Array(8).fill(10012);
