/**
 * The graph rewrite of `npm run model:optimize`: every linear layer of a
 * GPT-2-family ONNX export whose weight is a constant becomes one
 * `com.microsoft.MatMulNBits` node (block-quantized weights, int8 compute
 * with `accuracy_level` 4), whatever the export wrote:
 * - `MatMul(x, W)` with an fp32 initializer `W [K, N]` (fp32 exports, the
 *   fp32 LM head of transformers.js v3 int8 exports);
 * - `MatMul(x, Transpose(E))` with an fp32 initializer `E [N, K]` (a tied
 *   LM head that reads the embedding table; the head gets its own
 *   quantized copy, the embedding lookup keeps the table);
 * - onnxruntime `quantize_dynamic`'s chain `DynamicQuantizeLinear(x) →
 *   MatMulInteger(·, Wq, ·, zp) → Cast → Mul(·, Mul(x_scale, w_scale))`
 *   (Muse's own q8 layout and the legacy `*_quantized.onnx` exports):
 *   dequantized, then block-quantized again.
 * Nodes left without a consumer and unused initializers are dropped; the
 * graph's inputs and outputs are untouched.
 */
import type { onnx as Onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import { type BlockSize, type NBits, quantizeBlocks } from './blocks.ts';
import { dimsOf, importContribOps, intAttr, removeDead } from './graph.ts';

const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

/** How to rewrite. */
export interface RewriteOptions {
  bits: NBits;
  /**
   * Bits of the LM head (the layer that writes `logits`), when other than
   * `bits`: 4-bit blocks with an 8-bit head, as llama.cpp's Q4_K_M keeps its
   * output matrix at 6 bits. The head turns every weight error straight into
   * logit error, and it is a third of GPT-2's weights.
   */
  headBits?: NBits;
  blockSize: BlockSize;
  /** MatMulNBits `accuracy_level`: 4 computes with int8 activations (default), 0 in fp32. */
  accuracyLevel?: number;
}

/** One linear layer rewritten. */
export interface RewrittenLayer {
  /** The tensor the layer computes (unchanged name). */
  output: string;
  /** The pattern it was written as. */
  from: 'MatMul' | 'MatMul(Transpose)' | 'MatMulInteger';
  K: number;
  N: number;
  bits: NBits;
}

/** What a rewrite did. */
export interface RewriteReport {
  layers: RewrittenLayer[];
  /** Bytes of initializers before and after. */
  initializerBytes: { before: number; after: number };
}

/** The values of a tensor as floats (fp32, int8 and uint8 tensors; raw or typed fields). */
export function tensorFloats(t: Onnx.ITensorProto): Float32Array {
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const copy = raw ? new Uint8Array(raw) : undefined; // aligned copy
  switch (t.dataType) {
    case T.FLOAT:
      return copy ? new Float32Array(copy.buffer) : Float32Array.from(t.floatData ?? []);
    case T.INT8:
      return Float32Array.from(copy ? new Int8Array(copy.buffer) : (t.int32Data ?? []));
    case T.UINT8:
      return Float32Array.from(copy ?? t.int32Data ?? []);
    default:
      throw new Error(`tensor ${t.name}: data type ${t.dataType} is not fp32, int8 or uint8.`);
  }
}

const tensorBytes = (t: Onnx.ITensorProto) =>
  (t.rawData?.length ?? 0) + 4 * ((t.floatData?.length ?? 0) + (t.int32Data?.length ?? 0));

const attr = (node: Onnx.INodeProto, name: string) => node.attribute?.find((a) => a.name === name);

/**
 * Rewrites `model` in place (see the module comment) and reports the layers
 * it rewrote.
 *
 * @example
 * ```ts
 * const model = onnx.ModelProto.decode(bytes);
 * const report = rewriteLinears(model, { bits: 8, blockSize: 32 });
 * ```
 */
export function rewriteLinears(model: Onnx.IModelProto, options: RewriteOptions): RewriteReport {
  const graph = model.graph as Onnx.IGraphProto;
  const nodes = graph.node ?? [];
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name as string, t]));
  const producer = new Map<string, Onnx.INodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const before = [...inits.values()].reduce((s, t) => s + tensorBytes(t), 0);
  const layers: RewrittenLayer[] = [];
  const added: Onnx.ITensorProto[] = [];
  let counter = 0;
  const head = logitsProducer(graph);

  const nbits = (
    node: Onnx.INodeProto,
    x: string,
    w: Float32Array,
    K: number,
    N: number,
    transposed: boolean,
    from: RewrittenLayer['from'],
  ) => {
    const bits = node === head ? (options.headBits ?? options.bits) : options.bits;
    const q = quantizeBlocks(w, K, N, {
      bits,
      blockSize: options.blockSize,
      transposed,
    });
    const name = `muse_nbits_${counter++}`;
    added.push(
      {
        name: `${name}_B`,
        dataType: T.UINT8,
        dims: [N, q.kBlocks, q.blobBytes],
        rawData: q.packed,
      },
      {
        name: `${name}_scales`,
        dataType: T.FLOAT,
        dims: [N * q.kBlocks],
        rawData: new Uint8Array(q.scales.buffer),
      },
    );
    const output = (node.output ?? [])[0] as string;
    node.opType = 'MatMulNBits';
    node.domain = 'com.microsoft';
    node.input = [x, `${name}_B`, `${name}_scales`];
    node.attribute = [
      intAttr('K', K),
      intAttr('N', N),
      intAttr('bits', bits),
      intAttr('block_size', options.blockSize),
      intAttr('accuracy_level', options.accuracyLevel ?? 4),
    ];
    layers.push({ output, from, K, N, bits });
  };

  for (const node of nodes) {
    const inputs = node.input ?? [];
    if (node.opType === 'MatMul' && (node.domain ?? '') === '') {
      const [x, b] = inputs as [string, string];
      const w = inits.get(b);
      if (w && w.dataType === T.FLOAT && dimsOf(w).length === 2) {
        const [K, N] = dimsOf(w) as [number, number];
        nbits(node, x, tensorFloats(w), K, N, false, 'MatMul');
        continue;
      }
      const t = producer.get(b);
      const e = t?.opType === 'Transpose' ? inits.get((t.input ?? [])[0] as string) : undefined;
      const perm = t ? attr(t, 'perm')?.ints?.map(Number) : undefined;
      if (
        e &&
        e.dataType === T.FLOAT &&
        dimsOf(e).length === 2 &&
        (!perm || (perm[0] === 1 && perm[1] === 0))
      ) {
        const [N, K] = dimsOf(e) as [number, number];
        nbits(node, x, tensorFloats(e), K, N, true, 'MatMul(Transpose)');
      }
      continue;
    }
    if (node.opType === 'Mul' && inputs.length === 2) {
      const chain = dynamicQuantChain(node, producer, inits);
      if (!chain) continue;
      const { x, wq, wzp, wscale, K, N } = chain;
      const w = new Float32Array(K * N);
      for (let k = 0; k < K; k++) {
        for (let n = 0; n < N; n++) {
          const zp = wzp.length === 1 ? (wzp[0] as number) : (wzp[n] as number);
          const s = wscale.length === 1 ? (wscale[0] as number) : (wscale[n] as number);
          w[k * N + n] = ((wq[k * N + n] as number) - zp) * s;
        }
      }
      nbits(node, x, w, K, N, false, 'MatMulInteger');
    }
  }

  graph.initializer = [...(graph.initializer ?? []), ...added];
  foldBiases(graph, new Map([...inits, ...added.map((t) => [t.name as string, t] as const)]));
  removeDead(graph);
  importContribOps(model);
  const after = (graph.initializer ?? []).reduce((s, t) => s + tensorBytes(t), 0);
  return { layers, initializerBytes: { before, after } };
}

/** The node that writes the graph's `logits` output, looking through `Identity` nodes. */
function logitsProducer(graph: Onnx.IGraphProto): Onnx.INodeProto | undefined {
  const producer = new Map<string, Onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  let node = producer.get('logits');
  while (node?.opType === 'Identity') node = producer.get((node.input ?? [])[0] as string);
  return node;
}

/** The `quantize_dynamic` chain ending in `mul`, with its constant weight, or undefined. */
function dynamicQuantChain(
  mul: Onnx.INodeProto,
  producer: Map<string, Onnx.INodeProto>,
  inits: Map<string, Onnx.ITensorProto>,
):
  | { x: string; wq: Float32Array; wzp: Float32Array; wscale: Float32Array; K: number; N: number }
  | undefined {
  const [a, b] = mul.input as [string, string];
  for (const [castOut, scaleOut] of [
    [a, b],
    [b, a],
  ] as const) {
    const cast = producer.get(castOut);
    const scaleMul = producer.get(scaleOut);
    if (cast?.opType !== 'Cast' || scaleMul?.opType !== 'Mul') continue;
    const mmi = producer.get((cast.input ?? [])[0] as string);
    if (mmi?.opType !== 'MatMulInteger') continue;
    const [xq, wName, xzp, wzpName] = (mmi.input ?? []) as string[];
    const dql = producer.get(xq as string);
    if (dql?.opType !== 'DynamicQuantizeLinear' || (dql.output ?? [])[2] !== xzp) continue;
    const wq = inits.get(wName as string);
    if (!wq || dimsOf(wq).length !== 2) continue;
    const [s1, s2] = (scaleMul.input ?? []) as [string, string];
    const xscale = (dql.output ?? [])[1];
    const wscaleName = s1 === xscale ? s2 : s2 === xscale ? s1 : undefined;
    const wscale = wscaleName ? inits.get(wscaleName) : undefined;
    const wzp = wzpName ? inits.get(wzpName) : undefined;
    if (!wscale) continue;
    const [K, N] = dimsOf(wq) as [number, number];
    return {
      x: (dql.input ?? [])[0] as string,
      wq: tensorFloats(wq),
      wzp: wzp ? tensorFloats(wzp) : new Float32Array(1),
      wscale: tensorFloats(wscale),
      K,
      N,
    };
  }
  return undefined;
}

/**
 * Folds `Add(MatMulNBits(…), bias)` with a constant `[N]` bias into the
 * MatMulNBits node's own bias input (one node instead of two per layer).
 */
function foldBiases(graph: Onnx.IGraphProto, inits: Map<string, Onnx.ITensorProto>): void {
  const nodes = graph.node ?? [];
  const consumers = new Map<string, number>();
  for (const n of nodes)
    for (const i of n.input ?? []) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const producer = new Map<string, Onnx.INodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name));
  const folded = new Set<Onnx.INodeProto>();
  for (const add of nodes) {
    if (add.opType !== 'Add' || (add.input ?? []).length !== 2) continue;
    const [a, b] = add.input as [string, string];
    for (const [mmOut, biasName] of [
      [a, b],
      [b, a],
    ] as const) {
      const mm = producer.get(mmOut);
      const bias = inits.get(biasName);
      if (mm?.opType !== 'MatMulNBits' || (mm.input ?? []).length !== 3) continue;
      if (consumers.get(mmOut) !== 1 || graphOutputs.has(mmOut)) continue;
      const N = Number(mm.attribute?.find((x) => x.name === 'N')?.i ?? 0);
      if (!bias || bias.dataType !== T.FLOAT || dimsOf(bias).join() !== String(N)) continue;
      // zero_points and g_idx absent (empty names), bias the sixth input.
      mm.input = [...(mm.input ?? []), '', '', biasName];
      mm.output = [...(add.output ?? [])];
      folded.add(add);
      break;
    }
  }
  graph.node = nodes.filter((n) => !folded.has(n));
}

/** Name the raw scores get when {@link normaliseLogits} puts a LogSoftmax behind them. */
const RAW_LOGITS = 'muse_logits_raw';

/**
 * Makes the graph's `logits` output log-probabilities: its producer now
 * writes {@link RAW_LOGITS} and a `LogSoftmax` over the vocabulary (the
 * last axis) writes `logits`, so the output keeps its name and shape.
 * Muse's loop then reads a sampled token's log-prob off the row instead of
 * running the log-prob head once per step; sampling and any log-softmax
 * over the output are unchanged (softmax ignores a per-row shift, and
 * log-softmax is idempotent). Returns whether `logits` now carries
 * log-probabilities: true, changing nothing, when it already is a
 * LogSoftmax's; false, changing nothing, when there is no `logits` output.
 */
export function normaliseLogits(model: Onnx.IModelProto): boolean {
  const graph = model.graph as Onnx.IGraphProto;
  const nodes = graph.node ?? [];
  if (!(graph.output ?? []).some((o) => o.name === 'logits')) return false;
  const producer = nodes.find((n) => (n.output ?? []).includes('logits'));
  if (!producer) return false;
  if (producer.opType === 'LogSoftmax') return true;
  producer.output = (producer.output ?? []).map((o) => (o === 'logits' ? RAW_LOGITS : o));
  for (const n of nodes) n.input = (n.input ?? []).map((i) => (i === 'logits' ? RAW_LOGITS : i));
  graph.node = [
    ...nodes,
    {
      opType: 'LogSoftmax',
      name: 'muse_log_softmax',
      input: [RAW_LOGITS],
      output: ['logits'],
      attribute: [intAttr('axis', -1)],
    },
  ];
  return true;
}
