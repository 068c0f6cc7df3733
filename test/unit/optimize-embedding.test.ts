import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DType, GraphBuilder } from '#lib/model/onnxGraph.ts';
import { SeededRandom } from '#lib/random.ts';
import { quantizeInt8 } from '#tools/model/builder/gpt2.ts';
import { dequantizeBlocks, quantizeBlocks } from '#tools/model/optimize/blocks.ts';
import {
  quantizeEmbedding,
  supportsGatherBlockQuantized,
} from '#tools/model/optimize/embedding.ts';
import { rewriteLinears } from '#tools/model/optimize/rewrite.ts';

const { onnx } = onnxProto;
const V = 40;
const E = 64;
const IDS = [0n, 7n, 39n];

/**
 * A toy LM: `input_ids` → embedding (an fp32 table, or int8 + DequantizeLinear as
 * quantize_dynamic writes it) → `emb` output, and a head `MatMul(emb, W)` → `logits`,
 * with W the table's transpose (tied) or other weights.
 */
function toy(options: { table: 'fp32' | 'int8'; tied: boolean }) {
  const table = new SeededRandom(5).normals(V * E, 0.02);
  const g = new GraphBuilder();
  g.input('input_ids', DType.int64, [IDS.length]);
  let emb: string;
  if (options.table === 'fp32')
    emb = g.op1('Gather', [g.tensor('wte', DType.float, [V, E], table), 'input_ids'], { axis: 0 });
  else {
    const { q, scale } = quantizeInt8(table);
    const rows = g.op1('Gather', [g.tensor('wte_q', DType.int8, [V, E], q), 'input_ids'], {
      axis: 0,
    });
    emb = g.op1('DequantizeLinear', [
      rows,
      g.float('wte_scale', [scale], []),
      g.tensor('wte_zp', DType.int8, [], new Int8Array(1)),
    ]);
  }
  g.op('Identity', [emb], {}, { outputs: ['emb'] });
  const head = options.tied ? table : new SeededRandom(6).normals(V * E, 0.02);
  const w = new Float32Array(E * V);
  for (let v = 0; v < V; v++) for (let k = 0; k < E; k++) w[k * V + v] = head[v * E + k] as number;
  g.op('MatMul', [emb, g.tensor('lm_head', DType.float, [E, V], w)], {}, { outputs: ['logits'] });
  g.output('emb', DType.float, [IDS.length, E]);
  g.output('logits', DType.float, [IDS.length, V]);
  return { model: onnx.ModelProto.decode(g.encode('toy', 17, 'test')), table };
}

async function embeddingRows(model: onnxProto.onnx.IModelProto): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  const out = await session.run({
    input_ids: new ort.Tensor('int64', BigInt64Array.from(IDS), [IDS.length]),
  });
  await session.release();
  return (out.emb as ort.Tensor).data as Float32Array;
}

/** The table quantized as MatMulNBits stores a head (`[V, kBlocks, blob]`), dequantized, as `[V, E]` rows. */
function blockRows(table: Float32Array, bits: 4 | 8, blockSize: 32 | 128 = 32): Float32Array {
  const q = quantizeBlocks(table, E, V, { bits, blockSize, transposed: true });
  const back = dequantizeBlocks(q, E, V, { bits, blockSize });
  const rows = new Float32Array(IDS.length * E);
  IDS.forEach((id, r) => {
    for (let k = 0; k < E; k++) rows[r * E + k] = back[k * V + Number(id)] as number;
  });
  return rows;
}

const initializerNames = (model: onnxProto.onnx.IModelProto) =>
  (model.graph?.initializer ?? []).map((t) => t.name);
const lookupNode = (model: onnxProto.onnx.IModelProto) =>
  model.graph?.node?.find((n) => n.opType === 'GatherBlockQuantized');
const headNode = (model: onnxProto.onnx.IModelProto) =>
  model.graph?.node?.find((n) => n.opType === 'MatMulNBits');

describe('quantizeEmbedding (model:optimize: the token embedding from block-quantized weights)', () => {
  it('finds GatherBlockQuantized in this onnxruntime build', async () => {
    expect(await supportsGatherBlockQuantized()).toBe(true);
  });

  for (const bits of [8, 4] as const) {
    it(`looks a tied fp32 table's rows up in the ${bits}-bit head's own initializer and drops the table`, async () => {
      const { model, table } = toy({ table: 'fp32', tied: true });
      rewriteLinears(model, { bits, blockSize: 32 });

      expect(quantizeEmbedding(model, { bits, blockSize: 32 })).toBe('head-shared');
      expect(lookupNode(model)?.input?.[0]).toBe(headNode(model)?.input?.[1]);
      expect(initializerNames(model)).not.toContain('wte');
      expect([...(await embeddingRows(model))]).toEqual([...blockRows(table, bits)]);
    });
  }

  it('cuts the zero padding off rows when the block (128) is wider than a row (64)', async () => {
    const { model, table } = toy({ table: 'fp32', tied: true });
    rewriteLinears(model, { bits: 8, blockSize: 128 });

    expect(quantizeEmbedding(model, { bits: 8, blockSize: 128 })).toBe('head-shared');
    expect([...(await embeddingRows(model))]).toEqual([...blockRows(table, 8, 128)]);
  });

  it('shares the head with quantize_dynamic’s int8 table when the two hold the same weights', async () => {
    const { model } = toy({ table: 'int8', tied: true });
    // The head from the int8 table's own values, as a tied legacy export has it.
    const g = model.graph as onnxProto.onnx.IGraphProto;
    const q = g.initializer?.find((t) => t.name === 'wte_q') as onnxProto.onnx.ITensorProto;
    const scale = new Float32Array(
      new Uint8Array(g.initializer?.find((t) => t.name === 'wte_scale')?.rawData ?? []).buffer,
    )[0] as number;
    const codes = new Int8Array(new Uint8Array(q.rawData ?? []).buffer);
    const w = new Float32Array(E * V);
    for (let v = 0; v < V; v++)
      for (let k = 0; k < E; k++) w[k * V + v] = (codes[v * E + k] as number) * scale;
    const head = g.initializer?.find((t) => t.name === 'lm_head') as onnxProto.onnx.ITensorProto;
    head.rawData = new Uint8Array(w.buffer);
    rewriteLinears(model, { bits: 8, blockSize: 32 });

    expect(quantizeEmbedding(model, { bits: 8, blockSize: 32 })).toBe('head-shared');
    expect(initializerNames(model)).not.toContain('wte_q');
    expect(model.graph?.node?.map((n) => n.opType)).not.toContain('DequantizeLinear');
  });

  it('quantizes an untied fp32 table on its own, in the same layout', async () => {
    const { model, table } = toy({ table: 'fp32', tied: false });
    rewriteLinears(model, { bits: 8, blockSize: 32 });

    expect(quantizeEmbedding(model, { bits: 8, blockSize: 32 })).toBe('quantized');
    expect(lookupNode(model)?.input?.[0]).not.toBe(headNode(model)?.input?.[1]);
    expect(initializerNames(model)).not.toContain('wte');
    expect([...(await embeddingRows(model))]).toEqual([...blockRows(table, 8)]);
  });

  it('leaves an untied int8 table alone (it is one byte a weight already)', () => {
    const { model } = toy({ table: 'int8', tied: false });
    rewriteLinears(model, { bits: 8, blockSize: 32 });

    expect(quantizeEmbedding(model, { bits: 8, blockSize: 32 })).toBeUndefined();
    expect(initializerNames(model)).toContain('wte_q');
    expect(lookupNode(model)).toBeUndefined();
  });
});
