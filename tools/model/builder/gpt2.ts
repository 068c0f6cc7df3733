import { DType, GraphBuilder } from '#lib/model/onnxGraph.ts';
import { SeededRandom } from '#lib/random.ts';

/** GPT-2's vocabulary size (the real BPE vocabulary). */
export const GPT2_VOCAB_SIZE = 50257;
/** `<|endoftext|>`, GPT-2's BOS/EOS token. */
export const GPT2_EOS_TOKEN_ID = 50256;

/** The architecture hyper-parameters of a GPT-2 model. */
export interface Gpt2Shape {
  name: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nPositions: number;
  vocabSize: number;
}

/** Shapes the builder knows: `tiny` for tests, the real ones for benchmarks. */
export const SHAPES = {
  tiny: {
    name: 'tiny',
    nLayer: 2,
    nEmbd: 64,
    nHead: 4,
    nPositions: 512,
    vocabSize: GPT2_VOCAB_SIZE,
  },
  distilgpt2: {
    name: 'distilgpt2',
    nLayer: 6,
    nEmbd: 768,
    nHead: 12,
    nPositions: 1024,
    vocabSize: GPT2_VOCAB_SIZE,
  },
  gpt2: {
    name: 'gpt2',
    nLayer: 12,
    nEmbd: 768,
    nHead: 12,
    nPositions: 1024,
    vocabSize: GPT2_VOCAB_SIZE,
  },
} as const satisfies Record<string, Gpt2Shape>;

/**
 * How the quantized file is laid out: `muse` (every weight int8, the head an
 * untied int8 copy, the embedding int8 + DequantizeLinear: what Muse
 * publishes), `v3` (transformers.js v3's `model_int8.onnx`: int8 linear
 * layers, fp32 LM head and embeddings) or `v3-uint8` (its
 * `model_uint8.onnx`: the same with asymmetric uint8 weights, a zero point
 * per tensor, as onnxruntime's `quantize_dynamic` with `QUInt8` writes them).
 */
export type QuantizedLayout = 'muse' | 'v3' | 'v3-uint8';

/** The layouts, for CLI validation. */
export const QUANTIZED_LAYOUTS: readonly QuantizedLayout[] = ['muse', 'v3', 'v3-uint8'];

/** A shape name accepted by the builder. */
export type ShapeName = keyof typeof SHAPES;

/** Random GPT-2 weights, initialised like GPT-2 (N(0, 0.02), residual projections scaled). */
export interface Gpt2Weights {
  wte: Float32Array;
  wpe: Float32Array;
  layers: Array<{
    ln1g: Float32Array;
    ln1b: Float32Array;
    attnW: Float32Array;
    attnB: Float32Array;
    projW: Float32Array;
    projB: Float32Array;
    ln2g: Float32Array;
    ln2b: Float32Array;
    fcW: Float32Array;
    fcB: Float32Array;
    fc2W: Float32Array;
    fc2B: Float32Array;
  }>;
  lnfG: Float32Array;
  lnfB: Float32Array;
}

const INIT_STD = 0.02;

/** Draws seeded random weights for `shape`; the same seed gives the same floats. */
export function randomWeights(shape: Gpt2Shape, seed: number): Gpt2Weights {
  const rng = new SeededRandom(seed);
  const E = shape.nEmbd;
  const residualStd = INIT_STD / Math.sqrt(2 * shape.nLayer);
  const ones = () => new Float32Array(E).fill(1);
  const zeros = (n: number) => new Float32Array(n);
  return {
    wte: rng.normals(shape.vocabSize * E, INIT_STD),
    wpe: rng.normals(shape.nPositions * E, 0.01),
    layers: Array.from({ length: shape.nLayer }, () => ({
      ln1g: ones(),
      ln1b: zeros(E),
      attnW: rng.normals(E * 3 * E, INIT_STD),
      attnB: zeros(3 * E),
      projW: rng.normals(E * E, residualStd),
      projB: zeros(E),
      ln2g: ones(),
      ln2b: zeros(E),
      fcW: rng.normals(E * 4 * E, INIT_STD),
      fcB: zeros(4 * E),
      fc2W: rng.normals(4 * E * E, residualStd),
      fc2B: zeros(E),
    })),
    lnfG: ones(),
    lnfB: zeros(E),
  };
}

/**
 * Asymmetric per-tensor uint8 quantization over [min(w, 0), max(w, 0)]:
 * `w ≈ (q − zeroPoint) * scale`.
 */
export function quantizeUint8(w: Float32Array): {
  q: Uint8Array;
  scale: number;
  zeroPoint: number;
} {
  let min = 0;
  let max = 0;
  for (let i = 0; i < w.length; i++) {
    min = Math.min(min, w[i] as number);
    max = Math.max(max, w[i] as number);
  }
  const scale = Math.fround(max > min ? (max - min) / 255 : 1);
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-min / scale)));
  const q = new Uint8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    q[i] = Math.max(0, Math.min(255, Math.round((w[i] as number) / scale) + zeroPoint));
  }
  return { q, scale, zeroPoint };
}

/** Symmetric per-tensor int8 quantization: `w ≈ q * scale`, zero point 0. */
export function quantizeInt8(w: Float32Array): { q: Int8Array; scale: number } {
  let max = 0;
  for (let i = 0; i < w.length; i++) max = Math.max(max, Math.abs(w[i] as number));
  const scale = max === 0 ? 1 : max / 127;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) {
    q[i] = Math.max(-127, Math.min(127, Math.round((w[i] as number) / scale)));
  }
  return { q, scale: Math.fround(scale) };
}

function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c] as number;
  return out;
}

/**
 * Builds the ONNX graph of a GPT-2 LM with KV cache, with the inputs and
 * outputs of the standard transformers.js export: `input_ids`,
 * `attention_mask`, `position_ids`, `past_key_values.{i}.key|value` →
 * `logits`, `present.{i}.key|value`. With `quantized`, every weight MatMul
 * becomes DynamicQuantizeLinear (uint8 activations) → MatMulInteger (int8
 * weights) → rescale, as onnxruntime's `quantize_dynamic` produces, and the
 * token embedding is stored as int8.
 */
export function buildGpt2Onnx(
  shape: Gpt2Shape,
  weights: Gpt2Weights,
  quantized: boolean,
  layout: QuantizedLayout = 'muse',
): Uint8Array {
  return gpt2Graph(shape, weights, quantized, layout, true).encode(
    `muse-gpt2-${shape.name}`,
    GPT2_OPSET,
    BUILDER_PRODUCER,
  );
}

/** The opset the builder writes. */
const GPT2_OPSET = 20;
const BUILDER_PRODUCER = 'muse-model-builder';

/**
 * The graph of {@link buildGpt2Onnx}; with `withPast` false, the decoder
 * without a cache (optimum's `decoder_model.onnx`): no `past_key_values.*`
 * inputs, `present.*` hold the new positions only.
 */
function gpt2Graph(
  shape: Gpt2Shape,
  weights: Gpt2Weights,
  quantized: boolean,
  layout: QuantizedLayout,
  withPast: boolean,
): GraphBuilder {
  // transformers.js v3's int8 exports quantize the linear layers only: the tied LM head
  // (a transposed fp32 copy of the embedding) and the embedding table stay fp32.
  const fp32HeadAndEmbedding = layout !== 'muse';
  const g = new GraphBuilder();
  const E = shape.nEmbd;
  const H = shape.nHead;
  const D = E / H;
  const V = shape.vocabSize;

  const inputIds = g.input('input_ids', DType.int64, ['batch_size', 'sequence_length']);
  const attentionMask = g.input('attention_mask', DType.int64, [
    'batch_size',
    'past_sequence_length + sequence_length',
  ]);
  const positionIds = g.input('position_ids', DType.int64, ['batch_size', 'sequence_length']);
  const pastNames = Array.from({ length: withPast ? shape.nLayer : 0 }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, DType.float, [
      'batch_size',
      H,
      'past_sequence_length',
      D,
    ]),
    value: g.input(`past_key_values.${i}.value`, DType.float, [
      'batch_size',
      H,
      'past_sequence_length',
      D,
    ]),
  }));

  // Weight MatMul: fp32 or dynamic-quantized.
  const matmul = (x: string, name: string, w: Float32Array, rows: number, cols: number): string => {
    if (!quantized) return g.op1('MatMul', [x, g.tensor(name, DType.float, [rows, cols], w)]);
    let wq: string;
    let wzp: string;
    let wscale: string;
    if (layout === 'v3-uint8') {
      const { q, scale, zeroPoint } = quantizeUint8(w);
      wq = g.tensor(`${name}_quantized`, DType.uint8, [rows, cols], q);
      wzp = g.tensor(`${name}_zero_point`, DType.uint8, [], new Uint8Array([zeroPoint]));
      wscale = g.float(`${name}_scale`, [scale], []);
    } else {
      const { q, scale } = quantizeInt8(w);
      wq = g.tensor(`${name}_quantized`, DType.int8, [rows, cols], q);
      wzp = g.tensor(`${name}_zero_point`, DType.int8, [], new Int8Array([0]));
      wscale = g.float(`${name}_scale`, [scale], []);
    }
    const [xq, xscale, xzp] = g.op('DynamicQuantizeLinear', [x], {}, { outputs: 3 }) as [
      string,
      string,
      string,
    ];
    const acc = g.op1('MatMulInteger', [xq, wq, xzp, wzp]);
    const accF = g.op1('Cast', [acc], { to: DType.float });
    return g.op1('Mul', [accF, g.op1('Mul', [xscale, wscale])]);
  };
  const linear = (
    x: string,
    name: string,
    w: Float32Array,
    b: Float32Array,
    rows: number,
    cols: number,
  ) =>
    g.op1('Add', [
      matmul(x, `${name}.weight`, w, rows, cols),
      g.tensor(`${name}.bias`, DType.float, [cols], b),
    ]);
  const layerNorm = (x: string, name: string, gamma: Float32Array, beta: Float32Array) =>
    g.op1(
      'LayerNormalization',
      [
        x,
        g.tensor(`${name}.weight`, DType.float, [E], gamma),
        g.tensor(`${name}.bias`, DType.float, [E], beta),
      ],
      { axis: -1, epsilon: 1e-5 },
    );

  // Embeddings.
  let tokens: string;
  if (quantized && !fp32HeadAndEmbedding) {
    const { q, scale } = quantizeInt8(weights.wte);
    const wteQ = g.tensor('wte_quantized', DType.int8, [V, E], q);
    const gathered = g.op1('Gather', [wteQ, inputIds], { axis: 0 });
    tokens = g.op1('DequantizeLinear', [
      gathered,
      g.float('wte_scale', [scale], []),
      g.tensor('wte_zero_point', DType.int8, [], new Int8Array([0])),
    ]);
  } else {
    tokens = g.op1('Gather', [g.tensor('wte', DType.float, [V, E], weights.wte), inputIds], {
      axis: 0,
    });
  }
  const positions = g.op1(
    'Gather',
    [g.tensor('wpe', DType.float, [shape.nPositions, E], weights.wpe), positionIds],
    {
      axis: 0,
    },
  );
  let h = g.op1('Add', [tokens, positions]);

  // Attention bias, computed once: causal over [past + new] and the padding mask.
  const zero = g.int64('const_0', [0], []);
  const one = g.int64('const_1', [1], []);
  const seqLen = g.op1('Gather', [g.op1('Shape', [inputIds]), one], { axis: 0 });
  const pastLen = withPast
    ? g.op1('Gather', [g.op1('Shape', [pastNames[0]?.key ?? '']), g.int64('const_2', [2], [])], {
        axis: 0,
      })
    : g.int64('past_length', [0], []);
  const totalLen = g.op1('Add', [pastLen, seqLen]);
  const rows = g.op1('Range', [pastLen, totalLen, one]);
  const cols = g.op1('Range', [zero, totalLen, one]);
  const axes0 = g.int64('axes_0', [0]);
  const axes1 = g.int64('axes_1', [1]);
  const causal = g.op1('LessOrEqual', [
    g.op1('Unsqueeze', [cols, axes0]),
    g.op1('Unsqueeze', [rows, axes1]),
  ]);
  const padding = g.op1('Unsqueeze', [
    g.op1('Cast', [attentionMask], { to: DType.bool }),
    g.int64('axes_1_2', [1, 2]),
  ]);
  const allowed = g.op1('And', [causal, padding]);
  const bias = g.op1('Where', [
    allowed,
    g.float('bias_keep', [0], []),
    g.float('bias_mask', [-1e9], []),
  ]);
  const headShape = g.int64('shape_heads', [0, 0, H, D]);
  const mergeShape = g.int64('shape_merge', [0, 0, E]);
  const invSqrtD = g.float('inv_sqrt_head_dim', [1 / Math.sqrt(D)], []);
  const splitSizes = g.int64('split_qkv', [E, E, E]);

  weights.layers.forEach((layer, i) => {
    const p = `h.${i}`;
    const x = layerNorm(h, `${p}.ln_1`, layer.ln1g, layer.ln1b);
    const qkv = linear(x, `${p}.attn.c_attn`, layer.attnW, layer.attnB, E, 3 * E);
    const [q, k, v] = g.op('Split', [qkv, splitSizes], { axis: 2 }, { outputs: 3 }) as [
      string,
      string,
      string,
    ];
    const heads = (t: string, outputs?: string[]) =>
      g.op(
        'Transpose',
        [g.op1('Reshape', [t, headShape])],
        { perm: [0, 2, 1, 3] },
        { outputs },
      )[0] as string;
    const past = pastNames[i];
    // With a cache, present = Concat(past, new); without one, the new positions themselves.
    const present = (kind: 'key' | 'value', t: string) =>
      past
        ? (g.op(
            'Concat',
            [past[kind], heads(t)],
            { axis: 2 },
            { outputs: [`present.${i}.${kind}`] },
          )[0] as string)
        : heads(t, [`present.${i}.${kind}`]);
    const presentKey = present('key', k);
    const presentValue = present('value', v);
    const scores = g.op1('Mul', [
      g.op1('MatMul', [heads(q), g.op1('Transpose', [presentKey], { perm: [0, 1, 3, 2] })]),
      invSqrtD,
    ]);
    const probs = g.op1('Softmax', [g.op1('Add', [scores, bias])], { axis: -1 });
    const context = g.op1('Reshape', [
      g.op1('Transpose', [g.op1('MatMul', [probs, presentValue])], { perm: [0, 2, 1, 3] }),
      mergeShape,
    ]);
    h = g.op1('Add', [h, linear(context, `${p}.attn.c_proj`, layer.projW, layer.projB, E, E)]);
    const y = layerNorm(h, `${p}.ln_2`, layer.ln2g, layer.ln2b);
    const fc = g.op1('Gelu', [linear(y, `${p}.mlp.c_fc`, layer.fcW, layer.fcB, E, 4 * E)], {
      approximate: 'tanh',
    });
    h = g.op1('Add', [h, linear(fc, `${p}.mlp.c_proj`, layer.fc2W, layer.fc2B, 4 * E, E)]);
    g.output(`present.${i}.key`, DType.float, [
      'batch_size',
      H,
      'past_sequence_length + sequence_length',
      D,
    ]);
    g.output(`present.${i}.value`, DType.float, [
      'batch_size',
      H,
      'past_sequence_length + sequence_length',
      D,
    ]);
  });

  const final = layerNorm(h, 'ln_f', weights.lnfG, weights.lnfB);
  // The LM head is tied to the token embedding; stored transposed ([E, V]) for MatMul.
  // v3 ties the head to the one fp32 table: MatMul by its transpose.
  const logits = fp32HeadAndEmbedding
    ? g.op1('MatMul', [final, g.op1('Transpose', ['wte'], { perm: [1, 0] })])
    : matmul(final, 'lm_head', transpose(weights.wte, V, E), E, V);
  g.op('Identity', [logits], {}, { outputs: ['logits'] });
  g.outputs.unshift({
    name: 'logits',
    type: {
      tensorType: {
        elemType: DType.float,
        shape: {
          dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: V }],
        },
      },
    },
  });
  return g;
}

/**
 * A merged decoder, as optimum's `merge_decoders` writes
 * `decoder_model_merged[_quantized].onnx` (the legacy transformers.js
 * layout): one top-level `If` named `optimum::if` on a new input
 * `use_cache_branch` (bool `[1]`), whose `then_branch` is the decoder with a
 * cache and whose `else_branch` is the decoder without one (it reads no
 * `past_key_values.*`, which the first step still feeds, empty). Both
 * branches name their outputs like the graph's (`logits`, `present.*`).
 * The weights are top-level initializers both branches read from the outer
 * scope; scalars and 1-D int64 constants stay inside each branch, as
 * optimum keeps them. The `attention_mask` axis is renamed
 * `attention_mask_sequence_length`, as optimum renames it.
 */
export function buildMergedGpt2Onnx(
  shape: Gpt2Shape,
  weights: Gpt2Weights,
  quantized: boolean,
  layout: QuantizedLayout = 'muse',
): Uint8Array {
  const withPast = gpt2Graph(shape, weights, quantized, layout, true);
  const noPast = gpt2Graph(shape, weights, quantized, layout, false);
  const staysInBranch = (t: { dims?: unknown[] | null; dataType?: number | null }) =>
    (t.dims ?? []).length === 0 || ((t.dims ?? []).length === 1 && t.dataType === DType.int64);
  const shared = new Map<string, (typeof withPast.initializers)[number]>();
  for (const t of [...withPast.initializers, ...noPast.initializers]) {
    if (!staysInBranch(t)) shared.set(t.name as string, t);
  }
  const branch = (name: string, b: GraphBuilder) => ({
    name,
    node: b.nodes,
    initializer: b.initializers.filter(staysInBranch),
    input: [],
    output: b.outputs,
  });
  const g = new GraphBuilder();
  g.op(
    'If',
    ['use_cache_branch'],
    { then_branch: branch('with_past', withPast), else_branch: branch('no_past', noPast) },
    { outputs: noPast.outputs.map((o) => o.name as string), name: 'optimum::if' },
  );
  g.initializers.push(...shared.values());
  for (const input of withPast.inputs) {
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    g.input(
      input.name as string,
      input.type?.tensorType?.elemType as number,
      dims.map((d, axis) =>
        input.name === 'attention_mask' && axis === 1
          ? 'attention_mask_sequence_length'
          : (d.dimParam ?? Number(d.dimValue)),
      ),
    );
  }
  g.input('use_cache_branch', DType.bool, [1]);
  g.outputs.push(...withPast.outputs);
  return g.encode('merged', GPT2_OPSET, BUILDER_PRODUCER);
}
