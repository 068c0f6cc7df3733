/**
 * The `split` attention kernel of `fuseAttention`: each layer's attention
 * computed from the past and the new positions side by side, never
 * concatenating them, and `present.*` made only when a caller asks for it.
 *
 * Why: a concatenated cache is a copy of the whole cache per layer and
 * step. onnxruntime computes every node whether or not its output is
 * fetched, so a graph that outputs `present.*` pays that copy even when the
 * caller keeps its own cache (Muse's strided cache, `lib/model/stridedCache.ts`).
 * Measured on 12 gpt2-sized layers at batch 8 and 64 past positions, 2
 * threads: 4.6–6.5 ms a step with `MultiHeadAttention` (which concatenates
 * into its `present` outputs), 5.9–6.7 ms split with the concatenation
 * kept, 2.6–3.9 ms split without it. The price is about 20 small nodes per
 * layer where `MultiHeadAttention` is one: at batch 1 their overhead is
 * more than the copy saves, so `model:optimize` writes `mha` unless asked
 * (`--attention split`; the README has the end-to-end numbers).
 *
 * Per layer, with q, k, v the new positions as heads (`[B, H, T, D]`), K and
 * V the past (`[B, H, S, D]`):
 * - scores = [ (K·qᵀ)ᵀ | q·kᵀ ] / √D + bias, the past's part as a
 *   matrix–vector product over the cache as it lies (no packing, no
 *   transpose of the cache);
 * - softmax over the S + T positions, split back into p_past and p_new;
 * - context = p_past·V + p_new·v.
 * The bias, shared by all layers: the padding of `attention_mask` (−10,000
 * where 0, as `MultiHeadAttention` masks) plus the causal mask of the new
 * positions.
 *
 * `present.{i}.*` come from one `If` over all layers: `Concat(past, new)`
 * unless `attention_mask` is exactly one column wider than S + T (every
 * standard caller feeds S + T), and only the new positions then: the "present on
 * demand" protocol, which a standard caller never meets (the source graph
 * rejects such a mask) and Muse's strided loop uses to skip the copy. The
 * extra column is ignored.
 *
 * The new positions are named `new.{i}.key|value` here, the outputs
 * `exposeNewKeyValues` declares.
 */
import type { onnx as Onnx } from 'onnx-proto';
import { DType, GraphBuilder } from '#lib/model/onnxGraph.ts';
import { newKeyValueName } from '#lib/model/stridedCache.ts';

/** Penalty of a masked position (what `MultiHeadAttention` adds by default). */
const MASKED = -10000;

/** A layer's attention edges (see `matchLayer` in `attention.ts`). */
export interface AttentionEdges {
  layer: number;
  /** New queries, keys and values, `[batch, tokens, hidden]`. */
  q: string;
  k: string;
  v: string;
  /** The merged context the output projection reads, `[batch, tokens, hidden]`. */
  context: string;
}

/** Nodes and constants to add to the graph. */
export interface Emitted {
  nodes: Onnx.INodeProto[];
  initializers: Onnx.ITensorProto[];
}

type Attr = number | number[] | Onnx.IGraphProto;

/**
 * The rewrite's nodes, in a {@link GraphBuilder} whose nodes are named after
 * their first output (`muse_attn_…` or `new.{i}.*`: no clash with an export's names).
 */
class Emitter {
  readonly g = new GraphBuilder();

  /** Adds a node writing `outputs`; returns the first. */
  op(
    opType: string,
    inputs: string[],
    outputs: string[],
    attrs: Record<string, Attr> = {},
    domain = '',
  ) {
    const name = outputs[0] as string;
    return this.g.op(opType, inputs, attrs, {
      outputs,
      name,
      ...(domain ? { domain } : {}),
    })[0] as string;
  }

  /** An int64 constant (1-D unless `dims` says otherwise). */
  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.g.int64(name, values, dims);
  }

  /** A float scalar constant. */
  float(name: string, value: number): string {
    return this.g.float(name, [value], []);
  }
}

const n = (s: string) => `muse_attn_${s}`;

/**
 * The nodes replacing the matched layers' attention regions (the regions
 * themselves are removed by the caller), `numHeads` heads of `headDim`.
 */
export function splitAttention(
  layers: AttentionEdges[],
  { numHeads, headDim }: { numHeads: number; headDim: number },
): Emitted {
  const e = new Emitter();
  const first = `past_key_values.${(layers[0] as AttentionEdges).layer}.key`;
  // Lengths, as 1-element tensors: T new positions, S past, S + T, the mask's width W.
  const one = e.int64(n('one'), [1]);
  const two = e.int64(n('two'), [2]);
  const zero = e.int64(n('zero'), [0]);
  const newLen = e.op('Gather', [e.op('Shape', ['input_ids'], [n('ids_shape')]), one], [n('T')]);
  const pastLen = e.op('Gather', [e.op('Shape', [first], [n('past_shape')]), two], [n('S')]);
  const total = e.op('Add', [pastLen, newLen], [n('ST')]);
  const width = e.op(
    'Gather',
    [e.op('Shape', ['attention_mask'], [n('mask_shape')]), one],
    [n('W')],
  );
  // Only a mask exactly one column wider asks; any other width builds present.* as the source
  // graph would (and fails or broadcasts in the attention as the source graph does).
  const onDemand = e.op('Equal', [width, e.op('Add', [total, one], [n('ST1')])], [n('on_demand')]);
  const wantPresent = e.op('Not', [onDemand], [n('want_present')]);
  // Padding bias [B, 1, 1, S+T] from the first S + T columns of the mask.
  const mask = e.op('Slice', ['attention_mask', zero, total, one], [n('mask')]);
  const maskF = e.op('Cast', [mask], [n('mask_f')], { to: DType.float });
  const masked = e.op('Sub', [e.float(n('f_one'), 1), maskF], [n('masked')]);
  const padBias = e.op(
    'Unsqueeze',
    [
      e.op('Mul', [masked, e.float(n('f_masked'), MASKED)], [n('pad')]),
      e.int64(n('axes_12'), [1, 2]),
    ],
    [n('pad_bias')],
  );
  // Causal bias [T, S+T]: new position t sees past and new positions j ≤ S + t.
  const scalar = (x: string) => e.op('Squeeze', [x, zero], [`${x}_s`]);
  const step = e.int64(n('step'), [1], []);
  const keys = e.op('Range', [e.int64(n('zero_s'), [0], []), scalar(total), step], [n('key_pos')]);
  const queries = e.op('Range', [scalar(pastLen), scalar(total), step], [n('query_pos')]);
  const future = e.op(
    'Greater',
    [keys, e.op('Unsqueeze', [queries, one], [n('query_col')])],
    [n('future')],
  );
  const causal = e.op('Where', [future, n('f_masked'), e.float(n('f_zero'), 0)], [n('causal')]);
  const bias = e.op('Add', [padBias, causal], [n('bias')]);
  const splits = e.op('Concat', [pastLen, newLen], [n('splits')], { axis: 0 });
  const heads = e.int64(n('heads_shape'), [0, 0, numHeads, -1]);
  const merged = e.int64(n('merged_shape'), [0, 0, numHeads * headDim]);
  const scaleT = e.float(n('scale'), 1 / Math.sqrt(headDim));

  for (const { layer, q, k, v, context } of layers) {
    const L = (s: string) => n(`${layer}_${s}`);
    const pastKey = `past_key_values.${layer}.key`;
    const pastValue = `past_key_values.${layer}.value`;
    const qHeads = e.op('Reshape', [q, heads], [L('q_heads')]);
    const qh = e.op('Transpose', [qHeads], [L('q')], { perm: [0, 2, 1, 3] });
    // Unscaled: a scaled operand would make onnxruntime fuse the scale into a FusedMatMul, whose
    // matrix-vector product over the cache ran at half the speed of MatMul's (profiled).
    const qT = e.op('Transpose', [qHeads], [L('q_t')], { perm: [0, 2, 3, 1] });
    const kh = e.op(
      'Transpose',
      [e.op('Reshape', [k, heads], [L('k_heads')])],
      [newKeyValueName(layer, 'key')],
      { perm: [0, 2, 1, 3] },
    );
    const vh = e.op(
      'Transpose',
      [e.op('Reshape', [v, heads], [L('v_heads')])],
      [newKeyValueName(layer, 'value')],
      { perm: [0, 2, 1, 3] },
    );
    const pastScores = e.op(
      'Transpose',
      [e.op('MatMul', [pastKey, qT], [L('past_scores_t')])],
      [L('past_scores')],
      { perm: [0, 1, 3, 2] },
    );
    const newScores = e.op(
      'FusedMatMul',
      [qh, kh],
      [L('new_scores')],
      { transB: 1 },
      'com.microsoft',
    );
    const scores = e.op(
      'Add',
      [
        e.op(
          'Mul',
          [e.op('Concat', [pastScores, newScores], [L('scores')], { axis: 3 }), scaleT],
          [L('scaled')],
        ),
        bias,
      ],
      [L('biased')],
    );
    const probs = e.op('Softmax', [scores], [L('probs')], { axis: -1 });
    e.op('Split', [probs, splits], [L('p_past'), L('p_new')], { axis: 3 });
    const ctx = e.op(
      'Add',
      [
        e.op('MatMul', [L('p_past'), pastValue], [L('ctx_past')]),
        e.op('MatMul', [L('p_new'), vh], [L('ctx_new')]),
      ],
      [L('ctx')],
    );
    e.op(
      'Reshape',
      [e.op('Transpose', [ctx], [L('ctx_bthd')], { perm: [0, 2, 1, 3] }), merged],
      [context],
    );
  }

  // present.{i}.*: the whole cache, unless the mask asks for them on demand (then the new positions).
  const branch = (name: string, full: boolean): Onnx.IGraphProto => {
    const b = new GraphBuilder();
    for (const { layer } of layers) {
      for (const kind of ['key', 'value'] as const) {
        const out = n(`${name}_${layer}_${kind}`);
        const fresh = newKeyValueName(layer, kind);
        if (full) {
          b.op(
            'Concat',
            [`past_key_values.${layer}.${kind}`, fresh],
            { axis: 2 },
            { outputs: [out], name: out },
          );
        } else {
          b.op('Identity', [fresh], {}, { outputs: [out], name: out });
        }
        b.output(out, DType.float, ['batch_size', numHeads, `${name}_length`, headDim]);
      }
    }
    return { name: n(name), node: b.nodes, output: b.outputs };
  };
  e.op(
    'If',
    [wantPresent],
    layers.flatMap(({ layer }) => [`present.${layer}.key`, `present.${layer}.value`]),
    { then_branch: branch('present_full', true), else_branch: branch('present_new', false) },
  );
  return { nodes: e.g.nodes, initializers: e.g.initializers };
}
