/**
 * Residual fusion of `npm run model:optimize`: `LayerNormalization(Add(a,
 * b))` over the last axis, where `a` and `b` are both computed (the
 * residual stream and a block's output, never a constant that would
 * broadcast), becomes one `com.microsoft.SkipLayerNormalization`. The sum
 * is still written, as the node's fourth output under its old name, when
 * anything else reads it (the next residual does). onnxruntime fuses this
 * itself only where nothing else reads the sum (GPT-2's final norm).
 */
import type { onnx as Onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import { importContribOps, sortTopologically } from './graph.ts';

const { onnx } = onnxProto;

/**
 * Fuses every matching Add → LayerNormalization pair in place; returns how
 * many it fused.
 *
 * @example
 * ```ts
 * const fused = fuseSkipLayerNorm(model); // 25 for GPT-2 (2 per layer + the final norm)
 * ```
 */
export function fuseSkipLayerNorm(model: Onnx.IModelProto): number {
  const graph = model.graph as Onnx.IGraphProto;
  const nodes = graph.node ?? [];
  const constants = new Set((graph.initializer ?? []).map((t) => t.name as string));
  const producer = new Map<string, Onnx.INodeProto>();
  const readers = new Map<string, number>();
  for (const n of nodes) {
    for (const o of n.output ?? []) producer.set(o, n);
    for (const i of n.input ?? []) readers.set(i, (readers.get(i) ?? 0) + 1);
  }
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name as string));
  const replaced = new Map<Onnx.INodeProto, Onnx.INodeProto>();
  const dropped = new Set<Onnx.INodeProto>();
  for (const ln of nodes) {
    if (ln.opType !== 'LayerNormalization' || (ln.domain ?? '') !== '') continue;
    const [x, gamma, beta] = (ln.input ?? []) as [string, string?, string?];
    const axis = Number(ln.attribute?.find((a) => a.name === 'axis')?.i ?? -1);
    if (axis !== -1 || !gamma || !beta || !constants.has(gamma) || !constants.has(beta)) continue;
    if ((ln.output ?? []).length !== 1) continue;
    const add = producer.get(x);
    if (add?.opType !== 'Add' || (add.domain ?? '') !== '' || dropped.has(add)) continue;
    const [a, b] = (add.input ?? []) as [string, string];
    if ((add.input ?? []).length !== 2 || constants.has(a) || constants.has(b)) continue;
    const sumReadElsewhere = (readers.get(x) ?? 0) > 1 || graphOutputs.has(x);
    const epsilon = ln.attribute?.find((at) => at.name === 'epsilon')?.f ?? 1e-5;
    replaced.set(ln, {
      opType: 'SkipLayerNormalization',
      domain: 'com.microsoft',
      name: `muse_skip_ln_${replaced.size}`,
      input: [a, b, gamma, beta],
      output: sumReadElsewhere
        ? [(ln.output ?? [])[0] as string, '', '', x]
        : [...(ln.output ?? [])],
      attribute: [{ name: 'epsilon', type: onnx.AttributeProto.AttributeType.FLOAT, f: epsilon }],
    });
    dropped.add(add);
  }
  if (replaced.size === 0) return 0;
  graph.node = sortTopologically(
    graph,
    nodes.filter((n) => !dropped.has(n)).map((n) => replaced.get(n) ?? n),
  );
  importContribOps(model);
  return replaced.size;
}
