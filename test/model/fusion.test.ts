import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DType, GraphBuilder } from '#lib/model/onnxGraph.ts';
import { sessionOptions } from '#lib/model/sessionOptions.ts';
import { tinyModelDir } from '#test/support/tinyModel.ts';
import { fuseAttention } from '#tools/model/optimize/attention.ts';
import { fuseSkipLayerNorm } from '#tools/model/optimize/layerNorm.ts';
import { optimizeModelDir } from '#tools/model/optimize/optimize.ts';
import { rewriteLinears } from '#tools/model/optimize/rewrite.ts';

const { onnx } = onnxProto;

/** The tiny shape: 2 layers, 4 heads of 16. */
const LAYERS = 2;
const HEADS = 4;
const HEAD_DIM = 16;

const decode = async (file: string) =>
  onnx.ModelProto.decode(await readFile(join(await tinyModelDir(), 'onnx', file)));

const ops = (m: onnxProto.onnx.IModelProto) => (m.graph?.node ?? []).map((n) => n.opType);

const session = (m: onnxProto.onnx.IModelProto) =>
  ort.InferenceSession.create(onnx.ModelProto.encode(m).finish(), sessionOptions(1));

const i64 = (rows: number[][]) =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [
    rows.length,
    rows[0]?.length ?? 0,
  ]);

/** Feeds for `ids` (rows of one length) after a past of `pastLength`, with `mask` over past + new. */
function feeds(ids: number[][], mask: number[][], past?: ort.InferenceSession.OnnxValueMapType) {
  const batch = ids.length;
  const pastLength = (mask[0]?.length ?? 0) - (ids[0]?.length ?? 0);
  const f: Record<string, ort.Tensor> = {
    input_ids: i64(ids),
    attention_mask: i64(mask),
    // A token's position counts the unmasked tokens before it (padding sits at 0).
    position_ids: i64(
      mask.map((row) => {
        let seen = 0;
        const positions = row.map((m) => (m ? seen++ : 0));
        return positions.slice(pastLength);
      }),
    ),
  };
  for (let l = 0; l < LAYERS; l++) {
    for (const kv of ['key', 'value']) {
      f[`past_key_values.${l}.${kv}`] = past
        ? (past[`present.${l}.${kv}`] as ort.Tensor)
        : new ort.Tensor('float32', new Float32Array(0), [batch, HEADS, 0, HEAD_DIM]);
    }
  }
  return f;
}

/**
 * The largest difference between two outputs over the positions a real token holds: logits
 * `[B, S, V]` (the last S of `mask`'s columns) or caches `[B, H, T, D]` (all T columns). What a
 * padded position computes is never read (its logits are not sampled; its keys are masked).
 */
const maxAbsDiff = (a: ort.Tensor, b: ort.Tensor, mask: number[][]) => {
  expect(a.dims).toEqual(b.dims);
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  const cache = a.dims.length === 4;
  const [B, d1, d2, d3 = 1] = a.dims.map(Number) as [number, number, number, number?];
  const T = mask[0]?.length ?? 0;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const batch = Math.floor(i / (d1 * d2 * d3));
    const column = cache ? Math.floor(i / d3) % d2 : T - d1 + (Math.floor(i / d2) % d1);
    if (batch >= B || !mask[batch]?.[column]) continue;
    max = Math.max(max, Math.abs((x[i] as number) - (y[i] as number)));
  }
  return max;
};

/** Runs a left-padded prefill then one decode step on both graphs; the largest output differences. */
async function compare(a: onnxProto.onnx.IModelProto, b: onnxProto.onnx.IModelProto) {
  const [sa, sb] = await Promise.all([session(a), session(b)]);
  const ids = [
    [464, 3290, 318, 257, 922],
    [50256, 50256, 1110, 5044, 389],
  ];
  const mask = [
    [1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1],
  ];
  const [pa, pb] = await Promise.all([sa.run(feeds(ids, mask)), sb.run(feeds(ids, mask))]);
  const next = [[716], [2003]];
  const mask2 = mask.map((row) => [...row, 1]);
  const [da, db] = await Promise.all([
    sa.run(feeds(next, mask2, pa)),
    sb.run(feeds(next, mask2, pb)),
  ]);
  const diffs: Record<string, number> = {};
  for (const [step, x, y, m] of [
    ['prefill', pa, pb, mask],
    ['decode', da, db, mask2],
  ] as const) {
    for (const name of Object.keys(x))
      diffs[`${step} ${name}`] = maxAbsDiff(x[name] as ort.Tensor, y[name] as ort.Tensor, m);
  }
  await Promise.all([sa.release(), sb.release()]);
  return diffs;
}

describe('attention fusion (one MultiHeadAttention node per layer, or split with present.* on demand)', () => {
  it('fuses every layer of the fp32 export into MultiHeadAttention, keeps the input and output names, and computes the same logits and caches with left padding, prefill and decode', async () => {
    const source = await decode('model.onnx');
    const fused = await decode('model.onnx');

    const report = fuseAttention(fused, { numHeads: HEADS });

    expect(report).toEqual({ fused: [0, 1], skipped: [], kernel: 'mha' });
    expect(ops(fused).filter((o) => o === 'MultiHeadAttention')).toHaveLength(LAYERS);
    for (const gone of ['Softmax', 'Concat', 'Transpose', 'Where'])
      expect(ops(fused)).not.toContain(gone);
    expect(fused.graph?.input?.map((i) => i.name)).toEqual(source.graph?.input?.map((i) => i.name));
    expect(fused.graph?.output?.map((o) => o.name)).toEqual(
      source.graph?.output?.map((o) => o.name),
    );
    const diffs = await compare(source, fused);
    expect(Object.keys(diffs)).toHaveLength(2 * (1 + 2 * LAYERS));
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-4);
  });

  it('splits every layer of the fp32 export (no cache concatenation; present.* from one If), keeps the names, and computes the same logits and caches with left padding, prefill and decode', async () => {
    const source = await decode('model.onnx');
    const fused = await decode('model.onnx');

    const report = fuseAttention(fused, { numHeads: HEADS, headDim: HEAD_DIM, kernel: 'split' });

    expect(report).toEqual({ fused: [0, 1], skipped: [], kernel: 'split' });
    expect(ops(fused)).not.toContain('MultiHeadAttention');
    const ifs = (fused.graph?.node ?? []).filter((n) => n.opType === 'If');
    expect(ifs).toHaveLength(1);
    expect(ifs[0]?.output).toEqual(
      Array.from({ length: LAYERS }, (_, l) => [`present.${l}.key`, `present.${l}.value`]).flat(),
    );
    // One Softmax per layer, and no Concat onto a past in the main graph.
    expect(ops(fused).filter((o) => o === 'Softmax')).toHaveLength(LAYERS);
    const concats = (fused.graph?.node ?? []).filter((n) => n.opType === 'Concat');
    for (const c of concats) expect(c.input?.[0]).not.toMatch(/^past_key_values\./);
    expect(fused.graph?.input?.map((i) => i.name)).toEqual(source.graph?.input?.map((i) => i.name));
    expect(fused.graph?.output?.map((o) => o.name)).toEqual(
      source.graph?.output?.map((o) => o.name),
    );
    const diffs = await compare(source, fused);
    expect(Object.keys(diffs)).toHaveLength(2 * (1 + 2 * LAYERS));
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-4);
  });

  it('split: a mask one column wider asks for present.* on demand: the same logits, and present.* holding only the new positions', async () => {
    const fused = await decode('model.onnx');
    fuseAttention(fused, { numHeads: HEADS, headDim: HEAD_DIM, kernel: 'split' });
    const s = await session(fused);
    const ids = [
      [464, 3290, 318],
      [1110, 5044, 389],
    ];
    const mask = [
      [1, 1, 1],
      [1, 1, 1],
    ];
    const prompt = await s.run(feeds(ids, mask));
    expect(prompt['present.0.key']?.dims).toEqual([2, HEADS, 3, HEAD_DIM]);
    // A step with a masked gap in the past (as Muse's strided cache feeds it).
    const next = [[716], [2003]];
    const gapMask = [
      [1, 1, 0, 1],
      [1, 1, 0, 1],
    ];
    const exact = await s.run(feeds(next, gapMask, prompt));
    const wide = await s.run({
      ...feeds(next, gapMask, prompt),
      attention_mask: i64(gapMask.map((row) => [...row, 0])),
    });
    expect(Array.from(wide.logits?.data as Float32Array)).toEqual(
      Array.from(exact.logits?.data as Float32Array),
    );
    expect(exact['present.1.value']?.dims).toEqual([2, HEADS, 4, HEAD_DIM]);
    expect(wide['present.1.value']?.dims).toEqual([2, HEADS, 1, HEAD_DIM]);
    // Only exactly one extra column asks: two build present.* in full.
    const wider = await s.run({
      ...feeds(next, gapMask, prompt),
      attention_mask: i64(gapMask.map((row) => [...row, 0, 0])),
    });
    expect(wider['present.1.value']?.dims).toEqual([2, HEADS, 4, HEAD_DIM]);
    expect(Array.from(wide['present.1.value']?.data as Float32Array)).toEqual(
      Array.from(exact['present.1.value']?.data as Float32Array).filter(
        (_, i) => Math.floor(i / HEAD_DIM) % 4 === 3,
      ),
    );
    await s.release();
  });

  it('writes MultiHeadAttention where split is asked for but the graph’s opset is below 13', async () => {
    const m = await decode('model.onnx');
    m.opsetImport = (m.opsetImport ?? []).map((o) =>
      (o.domain ?? '') === '' ? { ...o, version: 12 } : o,
    );
    const report = fuseAttention(m, { numHeads: HEADS, headDim: HEAD_DIM, kernel: 'split' });
    expect(report.kernel).toBe('mha');
    expect(ops(m).filter((o) => o === 'MultiHeadAttention')).toHaveLength(LAYERS);
  });

  it('fuses the attention of the q8 export after its linears became MatMulNBits, with either kernel', async () => {
    const rewritten = await decode('model_quantized.onnx');
    rewriteLinears(rewritten, { bits: 8, blockSize: 32 });
    for (const kernel of ['mha', 'split'] as const) {
      const fused = onnx.ModelProto.decode(onnx.ModelProto.encode(rewritten).finish());
      expect(fuseAttention(fused, { numHeads: HEADS, headDim: HEAD_DIM, kernel })).toEqual({
        fused: [0, 1],
        skipped: [],
        kernel,
      });
      const diffs = await compare(rewritten, fused);
      for (const [name, d] of Object.entries(diffs))
        expect(d, `${kernel} ${name}`).toBeLessThan(1e-4);
    }
  });

  it('leaves a layer whose attention feeds anything else as it was, and the graph still right', async () => {
    const source = await decode('model.onnx');
    const graph = source.graph as onnxProto.onnx.IGraphProto;
    // Layer 1's attention probabilities also become a graph output: that layer cannot be fused away.
    const softmaxes = (graph.node ?? []).filter((n) => n.opType === 'Softmax');
    const probs = softmaxes[1]?.output?.[0] as string;
    graph.output = [
      ...(graph.output ?? []),
      { name: probs, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } },
    ];
    const fused = onnx.ModelProto.decode(onnx.ModelProto.encode(source).finish());

    expect(fuseAttention(fused, { numHeads: HEADS })).toEqual({
      fused: [0],
      skipped: [1],
      kernel: 'mha',
    });
    expect(ops(fused).filter((o) => o === 'MultiHeadAttention')).toHaveLength(1);
    expect(ops(fused).filter((o) => o === 'Softmax')).toHaveLength(1);
    const diffs = await compare(source, fused);
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-4);

    // Split: layer 0 only; layer 1 keeps its Concat, which the If (layer 0's present.*) leaves alone.
    const split = onnx.ModelProto.decode(onnx.ModelProto.encode(source).finish());
    expect(fuseAttention(split, { numHeads: HEADS, headDim: HEAD_DIM, kernel: 'split' })).toEqual({
      fused: [0],
      skipped: [1],
      kernel: 'split',
    });
    const splitDiffs = await compare(source, split);
    for (const [name, d] of Object.entries(splitDiffs))
      expect(d, `split ${name}`).toBeLessThan(1e-4);
  });

  it('fuses nothing in a graph without the attention_mask input or present outputs', async () => {
    const source = await decode('model.onnx');
    const graph = source.graph as onnxProto.onnx.IGraphProto;
    graph.output = (graph.output ?? []).filter((o) => !o.name?.startsWith('present.'));
    const before = ops(source);

    expect(fuseAttention(source, { numHeads: HEADS })).toEqual({
      fused: [],
      skipped: [],
      kernel: 'mha',
    });
    expect(ops(source)).toEqual(before);
  });

  it('is on in model:optimize (recorded, with the layer norms) and off with fuse: false', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'muse-opt-fuse-'));
    const inDir = await tinyModelDir();
    const [on, off] = await Promise.all(
      [true, false].map((fuse) =>
        optimizeModelDir({
          inDir,
          outDir: join(dir, String(fuse)),
          bits: 8,
          blockSize: 32,
          tokensPerPrompt: 8,
          fuse,
        }),
      ),
    );

    expect([on?.fused, off?.fused]).toEqual([
      { attention: LAYERS, kernel: 'mha', skipLayerNorm: 2 * LAYERS + 1 },
      { attention: 0, skipLayerNorm: 0 },
    ]);
    expect([on?.passed, off?.passed]).toEqual([true, true]);
    const record = (fuse: boolean) =>
      readFile(join(dir, String(fuse), 'config.json'), 'utf8').then(
        (t) => JSON.parse(t).muse.optimization,
      );
    expect((await record(true)).fused).toEqual({
      attention: LAYERS,
      kernel: 'mha',
      skipLayerNorm: 5,
    });
    expect((await record(false)).fused).toBeUndefined();
  }, 120_000);
});

describe('residual fusion (Add → LayerNormalization as one SkipLayerNormalization)', () => {
  it('fuses both norms of every layer and the final one, keeping the sum the next residual reads, with the same outputs', async () => {
    const source = await decode('model.onnx');
    const fused = await decode('model.onnx');
    fuseAttention(fused, { numHeads: HEADS });

    expect(fuseSkipLayerNorm(fused)).toBe(2 * LAYERS + 1);
    expect(ops(fused)).not.toContain('LayerNormalization');
    expect(ops(fused).filter((o) => o === 'SkipLayerNormalization')).toHaveLength(5);
    const diffs = await compare(source, fused);
    for (const [name, d] of Object.entries(diffs)) expect(d, name).toBeLessThan(1e-4);
  });

  it('leaves a norm of a sum with a constant (a broadcast bias) alone', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', DType.float, [1, 2, 4]);
    const sum = g.op1('Add', [x, g.float('bias', [1, 2, 3, 4], [4])]);
    const y = g.op1(
      'LayerNormalization',
      [sum, g.float('gamma', [1, 1, 1, 1]), g.float('beta', [0, 0, 0, 0])],
      {
        axis: -1,
        epsilon: 1e-5,
      },
    );
    g.op('Identity', [y], {}, { outputs: ['y'] });
    g.output('y', DType.float, [1, 2, 4]);
    const model = onnx.ModelProto.decode(g.encode('norm', 17, 'test'));

    expect(fuseSkipLayerNorm(model)).toBe(0);
    expect(ops(model)).toEqual(['Add', 'LayerNormalization', 'Identity']);
  });
});
