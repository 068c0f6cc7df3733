/**
 * Attention fusion of `npm run model:optimize`: each layer's self-attention
 * subgraph of a GPT-2-family export (heads split out of the packed q|k|v
 * projection, the past keys and values concatenated into `present.{i}.*`,
 * scaled scores, causal and padding masks, softmax, the weighted sum and
 * the heads merged back) becomes one `com.microsoft.MultiHeadAttention`
 * node with `unidirectional` 1 and the `attention_mask` as its key padding
 * mask. onnxruntime's CPU kernel then does in one pass what took about
 * fifteen nodes per layer (a kernel launch each, and the transposes and
 * concatenations as separate copies).
 *
 * A layer is found from its outputs, whose names every export shares: the
 * `Concat` nodes writing `present.{i}.key|value` lead back (through
 * `Transpose(0,2,1,3) ∘ Reshape`) to the `Split` of the projection, and
 * forward (through the `MatMul` with the probabilities) to the merged
 * context the output projection reads. Every node in between must feed
 * only that region, and the region must hold one `Softmax`; a layer that
 * does not match is left as it was and not counted. The fused graph is
 * checked like any rewrite: by the fidelity gate against the source.
 *
 * Every position holding a real token computes what it did (to float
 * rounding). A padded position (`attention_mask` 0) whose every key is
 * masked computes something else than the source did: the source's
 * softmax spread it over the masked keys, the kernel's adds the causal and
 * padding penalties separately. Nothing reads such a position: its logits
 * are not sampled and its key is masked for every later query.
 */
import type { onnx as Onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import { cacheLayers, importContribOps, intAttr, removeDead, sortTopologically } from './graph.ts';
import { type AttentionEdges, splitAttention } from './splitAttention.ts';

const { onnx } = onnxProto;

/** The op types an attention region may hold (anything else: the layer is left alone). */
const REGION_OPS = new Set([
  'MatMul',
  'FusedMatMul',
  'Transpose',
  'Reshape',
  'Mul',
  'Div',
  'Add',
  'Sub',
  'Softmax',
  'Concat',
  'Where',
  'Cast',
  'Unsqueeze',
  'Squeeze',
  'Slice',
  'Shape',
  'Gather',
  'Expand',
  'Equal',
  'Less',
  'LessOrEqual',
  'And',
  'Not',
  'Neg',
  'Sqrt',
  'Pow',
  'Range',
  'ConstantOfShape',
]);

/** Name of the shared int32 copy of `attention_mask` the fused nodes read. */
const MASK_I32 = 'muse_attention_mask_int32';

const perm = (n: Onnx.INodeProto) =>
  n.attribute
    ?.find((a) => a.name === 'perm')
    ?.ints?.map(Number)
    .join() ?? '';

/**
 * How a fused layer computes attention: `mha`, one `com.microsoft.MultiHeadAttention`
 * node; `split`, the past and the new positions side by side with `present.*` on
 * demand (`splitAttention.ts`).
 */
export type AttentionKernel = 'mha' | 'split';

/** What {@link fuseAttention} did. */
export interface AttentionReport {
  /** Layers (by index) whose attention region was replaced. */
  fused: number[];
  /** Layers with a `present.{i}.key` output whose subgraph did not match (left as they were). */
  skipped: number[];
  /** The kernel written (`mha` where `split` was asked for but the graph's opset is below 13). */
  kernel: AttentionKernel;
}

/** The name of the MultiHeadAttention node {@link fuseAttention} writes for `layer`. */
export const attentionNodeName = (layer: number) => `muse_attention_${layer}`;

/**
 * Fuses the self-attention of every layer it recognises (see the module
 * comment) in place, with `numHeads` heads of `headDim` (needed by the
 * `split` kernel), as `kernel` (default `mha`).
 *
 * @example
 * ```ts
 * const { fused } = fuseAttention(model, { numHeads: config.n_head });
 * ```
 */
export function fuseAttention(
  model: Onnx.IModelProto,
  {
    numHeads,
    headDim,
    kernel = 'mha',
  }: { numHeads: number; headDim?: number; kernel?: AttentionKernel },
): AttentionReport {
  const graph = model.graph as Onnx.IGraphProto;
  const report: AttentionReport = { fused: [], skipped: [], kernel };
  const inputs = new Set((graph.input ?? []).map((i) => i.name as string));
  if (!inputs.has('attention_mask')) return report;
  if (kernel === 'split') {
    if (!headDim) throw new RangeError('The split attention kernel needs headDim.');
    const opset = (model.opsetImport ?? []).find((o) => (o.domain ?? '') === '')?.version;
    // Split, Squeeze and Unsqueeze take their sizes and axes as inputs from opset 13.
    if (Number(opset ?? 0) < 13 || !inputs.has('input_ids')) report.kernel = 'mha';
  }
  const layers = cacheLayers(graph);
  const fusedNodes: Onnx.INodeProto[] = [];
  const split: AttentionEdges[] = [];
  for (const layer of layers) {
    const region = matchLayer(graph, layer);
    if (!region) {
      report.skipped.push(layer);
      continue;
    }
    graph.node = (graph.node ?? []).filter((n) => !region.nodes.has(n));
    report.fused.push(layer);
    if (report.kernel === 'split') {
      split.push({ layer, q: region.q, k: region.k, v: region.v, context: region.context });
      continue;
    }
    fusedNodes.push({
      opType: 'MultiHeadAttention',
      domain: 'com.microsoft',
      name: attentionNodeName(layer),
      input: [
        region.q,
        region.k,
        region.v,
        '',
        MASK_I32,
        '',
        `past_key_values.${layer}.key`,
        `past_key_values.${layer}.value`,
      ],
      output: [region.context, `present.${layer}.key`, `present.${layer}.value`],
      attribute: [intAttr('num_heads', numHeads), intAttr('unidirectional', 1)],
    });
  }
  if (report.fused.length === 0) return report;
  if (report.kernel === 'split') {
    const { nodes, initializers } = splitAttention(split, { numHeads, headDim: headDim as number });
    graph.node = sortTopologically(graph, [...(graph.node ?? []), ...nodes]);
    graph.initializer = [...(graph.initializer ?? []), ...initializers];
    removeDead(graph);
    importContribOps(model);
    return report;
  }
  graph.node = sortTopologically(graph, [
    {
      opType: 'Cast',
      name: 'muse_attention_mask_cast',
      input: ['attention_mask'],
      output: [MASK_I32],
      attribute: [intAttr('to', onnx.TensorProto.DataType.INT32)],
    },
    ...(graph.node ?? []),
    ...fusedNodes,
  ]);
  removeDead(graph);
  importContribOps(model);
  return report;
}

/** Layer `i`'s attention region: the nodes to replace and the tensors at its edges. */
function matchLayer(
  graph: Onnx.IGraphProto,
  i: number,
): { nodes: Set<Onnx.INodeProto>; q: string; k: string; v: string; context: string } | undefined {
  const nodes = graph.node ?? [];
  const producer = new Map<string, Onnx.INodeProto>();
  const consumers = new Map<string, Onnx.INodeProto[]>();
  for (const n of nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const x of n.input ?? []) consumers.set(x, [...(consumers.get(x) ?? []), n]);
  }
  const pastKey = `past_key_values.${i}.key`;
  const pastValue = `past_key_values.${i}.value`;
  const concatOf = (present: string, past: string) => {
    const c = producer.get(present);
    return c?.opType === 'Concat' && c.input?.length === 2 && c.input[0] === past ? c : undefined;
  };
  const keyConcat = concatOf(`present.${i}.key`, pastKey);
  const valueConcat = concatOf(`present.${i}.value`, pastValue);
  if (!keyConcat || !valueConcat) return undefined;
  // New keys and values: Transpose(0,2,1,3) of a Reshape to heads of one Split output.
  const flat = (heads: string) => {
    const t = producer.get(heads);
    if (t?.opType !== 'Transpose' || perm(t) !== '0,2,1,3') return undefined;
    const r = producer.get((t.input ?? [])[0] as string);
    return r?.opType === 'Reshape' ? ((r.input ?? [])[0] as string) : undefined;
  };
  const k = flat((keyConcat.input ?? [])[1] as string);
  const v = flat((valueConcat.input ?? [])[1] as string);
  const split = k ? producer.get(k) : undefined;
  if (!k || !v || split?.opType !== 'Split' || producer.get(v) !== split) return undefined;
  const [q, k2, v2] = (split.output ?? []) as string[];
  if ((split.output ?? []).length !== 3 || k2 !== k || v2 !== v || !q) return undefined;

  // The context: the first tensor past `present.{i}.value` that the output projection reads
  // (a node outside the attention ops, or a MatMul by a constant weight).
  const inits = new Set((graph.initializer ?? []).map((t) => t.name as string));
  const projection = (c: Onnx.INodeProto) =>
    !REGION_OPS.has(c.opType ?? '') ||
    (c.domain ?? '') !== '' ||
    (c.opType === 'MatMul' && inits.has((c.input ?? [])[1] as string));
  let context: string | undefined;
  const frontier = [`present.${i}.value`];
  for (let depth = 0; depth < 6 && !context && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const t of frontier) {
      for (const c of consumers.get(t) ?? []) {
        if (projection(c)) context = t;
        else next.push(...(c.output ?? []));
      }
    }
    frontier.splice(0, frontier.length, ...next);
  }
  if (!context || context === `present.${i}.value`) return undefined;

  // The region: every node between the edges that depends on them.
  const edges = new Set([q, k, v, pastKey, pastValue]);
  const depends = new Map<string, boolean>();
  const dependsOnEdges = (t: string): boolean => {
    if (edges.has(t)) return true;
    const known = depends.get(t);
    if (known !== undefined) return known;
    depends.set(t, false);
    // A shape is metadata: what reads only the past's length (the causal mask all layers share) stays outside.
    const p = producer.get(t);
    const result =
      p && p.opType !== 'Shape'
        ? (p.input ?? []).some((x) => x !== '' && dependsOnEdges(x))
        : false;
    depends.set(t, result);
    return result;
  };
  const region = new Set<Onnx.INodeProto>([keyConcat, valueConcat]);
  const stack = [context];
  while (stack.length > 0) {
    const t = stack.pop() as string;
    if (edges.has(t) || !dependsOnEdges(t)) continue;
    const p = producer.get(t) as Onnx.INodeProto;
    if (region.has(p) && t !== context) continue;
    region.add(p);
    for (const x of p.input ?? []) if (x) stack.push(x);
  }
  const outputs = new Set([context, `present.${i}.key`, `present.${i}.value`]);
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name as string));
  let softmaxes = 0;
  for (const n of region) {
    if (!REGION_OPS.has(n.opType ?? '') || (n.domain ?? '') !== '') return undefined;
    if (n.opType === 'Softmax') softmaxes++;
    for (const o of n.output ?? []) {
      if (outputs.has(o)) continue;
      if (graphOutputs.has(o) || (consumers.get(o) ?? []).some((c) => !region.has(c))) {
        return undefined;
      }
    }
  }
  return softmaxes === 1 ? { nodes: region, q, k, v, context } : undefined;
}
