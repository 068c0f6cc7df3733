/**
 * Merged decoders (optimum's `decoder_model_merged[_quantized].onnx`, the
 * legacy transformers.js layout) hold the model as one top-level `If` on a
 * `use_cache_branch` input: `then_branch` is the decoder with a cache,
 * `else_branch` the one without, both reading the weights from the outer
 * scope. The optimizer's rewrites match patterns in a flat graph, so they
 * first lift `then_branch` to the top level. That branch computes the first
 * step as well, from the empty past a caller feeds with it (transformers.js
 * v3's single-graph `model.onnx` is exactly such a graph), so one decoder
 * serves both steps; the fidelity gate compares it with the source's
 * `else_branch` on every prefill, and the loader tests decode with it.
 * `use_cache_branch` stays a graph input, read by nothing, so the
 * optimized file keeps the source's input names and callers that feed it
 * keep working.
 */
import type { onnx as Onnx } from 'onnx-proto';
import { removeDead } from './graph.ts';

/** The input optimum adds to choose a merged decoder's branch. */
export const CACHE_BRANCH_INPUT = 'use_cache_branch';

const sameTensor = (a: Onnx.ITensorProto, b: Onnx.ITensorProto) =>
  a.dataType === b.dataType &&
  JSON.stringify((a.dims ?? []).map(Number)) === JSON.stringify((b.dims ?? []).map(Number)) &&
  Buffer.from(a.rawData ?? []).equals(Buffer.from(b.rawData ?? [])) &&
  JSON.stringify([a.floatData, a.int32Data, a.int64Data]) ===
    JSON.stringify([b.floatData, b.int32Data, b.int64Data]);

/**
 * Replaces a merged decoder's `If` on {@link CACHE_BRANCH_INPUT} by its
 * with-past branch, in place (see the module comment). Returns false, and
 * changes nothing, when the graph has no such `If`.
 *
 * @example
 * ```ts
 * const model = onnx.ModelProto.decode(await readFile('onnx/decoder_model_merged_quantized.onnx'));
 * if (liftCacheBranch(model)) console.log('merged decoder: with-past branch lifted');
 * ```
 */
export function liftCacheBranch(model: Onnx.IModelProto): boolean {
  const graph = model.graph as Onnx.IGraphProto;
  const nodes = graph.node ?? [];
  const isInput = (graph.input ?? []).some((i) => i.name === CACHE_BRANCH_INPUT);
  const index = nodes.findIndex((n) => n.opType === 'If' && n.input?.[0] === CACHE_BRANCH_INPUT);
  if (!isInput || index < 0) return false;
  const node = nodes[index] as Onnx.INodeProto;
  const branch = node.attribute?.find((a) => a.name === 'then_branch')?.g;
  const branchNodes = branch?.node ?? [];
  if (!branchNodes.some((n) => (n.input ?? []).some((x) => x.startsWith('past_key_values.')))) {
    throw new Error(
      `The If on ${CACHE_BRANCH_INPUT} has no then_branch that reads past_key_values.*: not a merged decoder this optimizer knows (optimum's merge_decoders layout).`,
    );
  }
  const outer = new Map((graph.initializer ?? []).map((t) => [t.name as string, t]));
  const lifted: Onnx.ITensorProto[] = [];
  for (const t of branch?.initializer ?? []) {
    const clash = outer.get(t.name as string);
    if (!clash) lifted.push(t);
    else if (!sameTensor(clash, t)) {
      throw new Error(
        `then_branch's initializer ${t.name} shadows a different top-level tensor of the same name; the branch cannot be lifted as it is.`,
      );
    }
  }
  // The If's outputs are the graph's; where the branch names its outputs otherwise, alias them.
  const aliases: Onnx.INodeProto[] = (branch?.output ?? []).flatMap((o, k) => {
    const target = node.output?.[k] as string;
    return o.name === target
      ? []
      : [
          {
            opType: 'Identity',
            name: `lifted_${target}`,
            input: [o.name as string],
            output: [target],
          },
        ];
  });
  graph.node = [...nodes.slice(0, index), ...branchNodes, ...aliases, ...nodes.slice(index + 1)];
  graph.initializer = [...(graph.initializer ?? []), ...lifted];
  graph.valueInfo = [...(graph.valueInfo ?? []), ...(branch?.valueInfo ?? [])];
  removeDead(graph);
  return true;
}
