/**
 * Graph helpers the optimizer's rewrites share: attributes, the contrib
 * domain's opset, dead-node removal and a topological order.
 */
import type { onnx as Onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** An INT attribute. */
export const intAttr = (name: string, i: number): Onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i,
});

/** A tensor's dimensions as numbers. */
export const dimsOf = (t: Onnx.ITensorProto): number[] => (t.dims ?? []).map(Number);

/** A node's INT attribute, or NaN when it has none. */
export const intAttrOf = (node: Onnx.INodeProto, name: string): number =>
  Number(node.attribute?.find((a) => a.name === name)?.i ?? Number.NaN);

/** Imports the `com.microsoft` opset (contrib ops) if the model does not yet. */
export function importContribOps(model: Onnx.IModelProto): void {
  const imports = model.opsetImport ?? [];
  if (!imports.some((o) => o.domain === 'com.microsoft')) {
    model.opsetImport = [...imports, { domain: 'com.microsoft', version: 1 }];
  }
}

/** The layers whose cache the graph outputs (`present.{i}.key`), in order. */
export function cacheLayers(graph: Onnx.IGraphProto): number[] {
  return (graph.output ?? [])
    .map((o) => /^present\.(\d+)\.key$/.exec(o.name ?? '')?.[1])
    .filter((i): i is string => i !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * What a node reads: its inputs, and the outer-scope tensors its subgraphs
 * (an `If`'s branches, a `Loop`'s body) read without producing them.
 */
export function nodeInputs(node: Onnx.INodeProto): string[] {
  const own = (node.input ?? []).filter((x) => x !== '');
  const graphs = (node.attribute ?? []).flatMap((a) => [
    ...(a.g ? [a.g] : []),
    ...(a.graphs ?? []),
  ]);
  if (graphs.length === 0) return own;
  const outer = graphs.flatMap((g) => {
    const local = new Set([
      ...(g.input ?? []).map((i) => i.name as string),
      ...(g.initializer ?? []).map((t) => t.name as string),
      ...(g.node ?? []).flatMap((n) => n.output ?? []),
    ]);
    return (g.node ?? []).flatMap(nodeInputs).filter((x) => !local.has(x));
  });
  return [...new Set([...own, ...outer])];
}

/** Drops nodes no graph output depends on, then initializers no node reads. */
export function removeDead(graph: Onnx.IGraphProto): void {
  const producer = new Map<string, Onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const live = new Set<Onnx.INodeProto>();
  const stack = (graph.output ?? []).map((o) => o.name as string);
  const seen = new Set<string>();
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    const node = producer.get(name);
    if (!node || live.has(node)) continue;
    live.add(node);
    stack.push(...nodeInputs(node));
  }
  graph.node = (graph.node ?? []).filter((n) => live.has(n));
  const used = new Set((graph.node ?? []).flatMap(nodeInputs));
  graph.initializer = (graph.initializer ?? []).filter((t) => used.has(t.name as string));
}

/**
 * `nodes` in an order where every node follows the producers of its inputs
 * (Kahn's algorithm, keeping the given order where it is free to).
 */
export function sortTopologically(
  graph: Onnx.IGraphProto,
  nodes: Onnx.INodeProto[],
): Onnx.INodeProto[] {
  const available = new Set<string>([
    ...(graph.input ?? []).map((i) => i.name as string),
    ...(graph.initializer ?? []).map((t) => t.name as string),
    '',
  ]);
  const producers = new Set(nodes.flatMap((n) => n.output ?? []));
  const ready = (n: Onnx.INodeProto) =>
    nodeInputs(n).every((x) => available.has(x) || !producers.has(x));
  const out: Onnx.INodeProto[] = [];
  let pending = nodes;
  while (pending.length > 0) {
    const still: Onnx.INodeProto[] = [];
    for (const n of pending) {
      if (ready(n)) {
        out.push(n);
        for (const o of n.output ?? []) available.add(o);
      } else still.push(n);
    }
    if (still.length === pending.length) throw new Error('the fused graph has a cycle');
    pending = still;
  }
  return out;
}
