/**
 * The token embedding as a lookup into block-quantized weights
 * (`com.microsoft.GatherBlockQuantized`), after `rewrite.ts` has made the
 * LM head a `MatMulNBits`. GPT-2 ties its head to the embedding table, and
 * `MatMulNBits` stores the head's weight as `[N = vocab, kBlocks, blob]`,
 * blocks along the embedding axis: row `v` of those bytes is token `v`'s
 * embedding, quantized. So when the table, quantized the same way, gives
 * the head's bytes exactly (it does for every tied export), the lookup
 * reads the head's own initializer and the table is dropped: transformers.js
 * v3's fp32 table (154 MB on gpt2) or the legacy int8 copy (39 MB) leaves
 * the file and the process. `GatherBlockQuantized` with uint8 data follows
 * `MatMulNBits`' conventions (low nibble first, zero point 2^(bits−1)), so
 * the rows it returns are the head's dequantized weights. An untied fp32
 * table is quantized on its own, in the same layout; an untied int8 table
 * (already one byte a weight) is left alone.
 */
import type { onnx as Onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { DType, GraphBuilder } from '#lib/model/onnxGraph.ts';
import { type BlockSize, type NBits, quantizeBlocks } from './blocks.ts';
import { dimsOf, importContribOps, intAttr, intAttrOf, removeDead } from './graph.ts';
import { tensorFloats } from './rewrite.ts';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

/** How the embedding now reads its table (see the module comment). */
export type EmbeddingRewrite = 'head-shared' | 'quantized';

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** The lookup of `input_ids` in a `[V, E]` table: the Gather, the node whose output is the embedding, and the table as floats. */
function findLookup(
  graph: Onnx.IGraphProto,
  inits: Map<string, Onnx.ITensorProto>,
):
  | {
      gather: Onnx.INodeProto;
      last: Onnx.INodeProto;
      table: Float32Array;
      V: number;
      E: number;
      fp32: boolean;
    }
  | undefined {
  const nodes = graph.node ?? [];
  for (const gather of nodes) {
    const [data, ids] = (gather.input ?? []) as [string, string];
    if (gather.opType !== 'Gather' || ids !== 'input_ids') continue;
    if (intAttrOf(gather, 'axis') !== 0 && gather.attribute?.some((a) => a.name === 'axis'))
      continue;
    const t = inits.get(data);
    if (!t || dimsOf(t).length !== 2) continue;
    const [V, E] = dimsOf(t) as [number, number];
    if (t.dataType === T.FLOAT) {
      return { gather, last: gather, table: tensorFloats(t), V, E, fp32: true };
    }
    // quantize_dynamic's quantized Gather: an int8/uint8 table, then DequantizeLinear by one scale.
    const out = (gather.output ?? [])[0];
    const dql = nodes.find((n) => n.opType === 'DequantizeLinear' && (n.input ?? [])[0] === out);
    const scale = inits.get((dql?.input ?? [])[1] ?? '');
    const zp = inits.get((dql?.input ?? [])[2] ?? '');
    if (!dql || !scale || tensorFloats(scale).length !== 1) continue;
    // The int8 rows must feed the DequantizeLinear alone, since both nodes are replaced.
    if (nodes.some((n) => n !== dql && (n.input ?? []).includes(out as string))) continue;
    if (zp && tensorFloats(zp).length !== 1) continue;
    const s = tensorFloats(scale)[0] as number;
    const z = zp ? (tensorFloats(zp)[0] as number) : 0;
    const q = tensorFloats(t);
    const table = new Float32Array(q.length);
    for (let i = 0; i < q.length; i++) table[i] = ((q[i] as number) - z) * s;
    return { gather, last: dql, table, V, E, fp32: false };
  }
  return undefined;
}

/**
 * Rewrites the token embedding of `model` in place (see the module
 * comment); `bits` and `blockSize` quantize an untied fp32 table. Returns
 * what it did, or undefined when it left the lookup alone.
 *
 * @example
 * ```ts
 * rewriteLinears(model, { bits: 8, blockSize: 128 });
 * const embedding = quantizeEmbedding(model, { bits: 8, blockSize: 128 }); // 'head-shared'
 * ```
 */
export function quantizeEmbedding(
  model: Onnx.IModelProto,
  options: { bits: NBits; blockSize: BlockSize },
): EmbeddingRewrite | undefined {
  const graph = model.graph as Onnx.IGraphProto;
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name as string, t]));
  const lookup = findLookup(graph, inits);
  if (!lookup) return undefined;
  const { V, E } = lookup;
  const heads = (graph.node ?? []).filter(
    (n) =>
      n.opType === 'MatMulNBits' &&
      intAttrOf(n, 'N') === V &&
      intAttrOf(n, 'K') === E &&
      inits.has((n.input ?? [])[1] ?? ''),
  );
  let data: string | undefined;
  let scales: Float32Array | undefined;
  let bits: NBits = options.bits;
  let blockSize: BlockSize = options.blockSize;
  for (const head of heads) {
    const headBits = intAttrOf(head, 'bits') as NBits;
    const headBlock = intAttrOf(head, 'block_size') as BlockSize;
    const b = inits.get((head.input ?? [])[1] as string) as Onnx.ITensorProto;
    const s = inits.get((head.input ?? [])[2] as string);
    const q = quantizeBlocks(lookup.table, E, V, {
      bits: headBits,
      blockSize: headBlock,
      transposed: true,
    });
    if (
      s &&
      sameBytes(q.packed, b.rawData ?? new Uint8Array()) &&
      sameBytes(new Uint8Array(q.scales.buffer), s.rawData ?? new Uint8Array())
    ) {
      data = b.name as string;
      scales = q.scales;
      bits = headBits;
      blockSize = headBlock;
      break;
    }
  }
  const shared = data !== undefined;
  if (!shared) {
    if (!lookup.fp32) return undefined;
    const q = quantizeBlocks(lookup.table, E, V, { bits, blockSize, transposed: true });
    data = `${lookup.gather.name ?? 'embedding'}_table_nbits`;
    graph.initializer = [
      ...(graph.initializer ?? []),
      { name: data, dataType: T.UINT8, dims: [V, q.kBlocks, q.blobBytes], rawData: q.packed },
    ];
    scales = q.scales;
  }
  const kBlocks = Math.ceil(E / blockSize);
  const scaleName = `${data}_gather_scales`;
  const shapeName = `${data}_gather_shape`;
  const rows = `${data}_gathered`;
  graph.initializer = [
    ...(graph.initializer ?? []),
    {
      name: scaleName,
      dataType: T.FLOAT,
      dims: [V, kBlocks, 1],
      rawData: new Uint8Array((scales as Float32Array).buffer.slice(0)),
    },
    {
      name: `${shapeName}_row`,
      dataType: T.INT64,
      dims: [1],
      rawData: new Uint8Array(BigInt64Array.of(BigInt(kBlocks * blockSize)).buffer),
    },
  ];
  if (kBlocks * blockSize !== E) {
    const int64 = (name: string, value: number) => ({
      name,
      dataType: T.INT64,
      dims: [1],
      rawData: new Uint8Array(BigInt64Array.of(BigInt(value)).buffer),
    });
    graph.initializer.push(
      int64(`${shapeName}_start`, 0),
      int64(`${shapeName}_end`, E),
      int64(`${shapeName}_axis`, -1),
    );
  }
  const output = (lookup.last.output ?? [])[0] as string;
  const replaced = new Set([lookup.gather, lookup.last]);
  const at = (graph.node ?? []).indexOf(lookup.gather);
  const nodes = (graph.node ?? []).filter((n) => !replaced.has(n));
  nodes.splice(
    at,
    0,
    {
      opType: 'GatherBlockQuantized',
      domain: 'com.microsoft',
      name: 'muse_embedding_lookup',
      input: [data as string, 'input_ids', scaleName],
      output: [rows],
      attribute: [
        intAttr('gather_axis', 0),
        intAttr('quantize_axis', 2),
        intAttr('block_size', blockSize),
        intAttr('bits', bits),
      ],
    },
    // The lookup returns [...ids, kBlocks, blockSize]: rows of kBlocks × blockSize, whatever the rank of input_ids.
    {
      opType: 'Shape',
      name: 'muse_embedding_ids_shape',
      input: ['input_ids'],
      output: [`${shapeName}_ids`],
    },
    {
      opType: 'Concat',
      name: 'muse_embedding_shape',
      input: [`${shapeName}_ids`, `${shapeName}_row`],
      output: [shapeName],
      attribute: [intAttr('axis', 0)],
    },
    ...(kBlocks * blockSize === E
      ? [
          {
            opType: 'Reshape',
            name: 'muse_embedding_rows',
            input: [rows, shapeName],
            output: [output],
          },
        ]
      : [
          {
            opType: 'Reshape',
            name: 'muse_embedding_padded_rows',
            input: [rows, shapeName],
            output: [`${rows}_padded`],
          },
          // The last block is padded to blockSize with zero codes: keep the first E values.
          {
            opType: 'Slice',
            name: 'muse_embedding_rows',
            input: [
              `${rows}_padded`,
              `${shapeName}_start`,
              `${shapeName}_end`,
              `${shapeName}_axis`,
            ],
            output: [output],
          },
        ]),
  );
  graph.node = nodes;
  removeDead(graph);
  importContribOps(model);
  return shared ? 'head-shared' : 'quantized';
}

let probe: Promise<boolean> | undefined;

/**
 * Whether this onnxruntime build runs `GatherBlockQuantized` on uint8 data
 * (onnxruntime-node 1.30 does); without it the optimizer keeps the table as
 * it is. Probed once per process with a one-row graph.
 */
export function supportsGatherBlockQuantized(): Promise<boolean> {
  probe ??= (async () => {
    const g = new GraphBuilder();
    g.input('ids', DType.int64, [1]);
    g.op(
      'GatherBlockQuantized',
      [
        g.tensor('data', DType.uint8, [1, 16], new Uint8Array(16).fill(129)),
        'ids',
        g.float('scales', [2], [1, 1]),
      ],
      { gather_axis: 0, quantize_axis: 1, block_size: 16, bits: 8 },
      { outputs: ['rows'], domain: 'com.microsoft' },
    );
    g.output('rows', DType.float, [1, 16]);
    const model = onnx.ModelProto.decode(g.encode('probe', 17, 'muse-optimizer'));
    importContribOps(model);
    const bytes = onnx.ModelProto.encode(model).finish();
    try {
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ ids: new ort.Tensor('int64', BigInt64Array.of(0n), [1]) });
      await session.release();
      // (129 − 128) × 2: the zero point MatMulNBits uses, so the two ops read one table alike.
      return ((out.rows as ort.Tensor).data as Float32Array)[0] === 2;
    } catch {
      return false;
    }
  })();
  return probe;
}
