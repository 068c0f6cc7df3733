/**
 * Exposes each layer's new keys and values as graph outputs
 * `new.{i}.key|value` (`[batch, heads, new tokens, head size]`: the positions
 * this run appended to `present.{i}.*`).
 *
 * Why: onnxruntime-node copies every fetched output into a fresh JS buffer,
 * so a decode loop that carries `present.*` back as the next `past` pays a
 * copy of the whole cache per token (at batch 8 on gpt2, ~30 MB, a third of
 * the step). With these outputs Muse fetches only the logits and the new
 * positions, keeps the cache in its own buffers and writes each step's
 * positions into them (`lib/model/stridedCache.ts`). `present.*` stay as
 * they were, for every other caller.
 *
 * Found per layer from what writes `present.{i}.key|value`: a `Concat(past,
 * new)` of that layer's past (the new tensor is already in the cache layout)
 * or the `MultiHeadAttention` `fuseAttention` wrote (its `[batch, tokens,
 * hidden]` key and value inputs, reshaped to heads and transposed); the
 * split attention kernel names them so itself (`splitAttention.ts`), and
 * only the outputs are declared. All layers or none: a loop needs every
 * layer's positions.
 */
import type { onnx as Onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';
import { DType, valueInfo } from '#lib/model/onnxGraph.ts';
import { newKeyValueName } from '#lib/model/stridedCache.ts';
import { attentionNodeName } from './attention.ts';
import { cacheLayers } from './graph.ts';

const { onnx } = onnxProto;

/**
 * Adds the `new.{i}.key|value` outputs (see the module comment). Returns how
 * many layers got them: all that write `present.*`, or 0 when one of them is
 * written by anything else (nothing is then changed).
 *
 * @example
 * ```ts
 * exposeNewKeyValues(model, { numHeads: 12, headDim: 64 }); // 12 on gpt2
 * ```
 */
export function exposeNewKeyValues(
  model: Onnx.IModelProto,
  dims: { numHeads: number; headDim: number },
): number {
  const graph = model.graph as Onnx.IGraphProto;
  const producer = new Map<string, Onnx.INodeProto>();
  for (const n of graph.node ?? []) for (const o of n.output ?? []) producer.set(o, n);
  const layers = cacheLayers(graph);
  if (layers.length === 0) return 0;
  const added: Onnx.INodeProto[] = [];
  const initializers: Onnx.ITensorProto[] = [];
  for (const layer of layers) {
    for (const [kind, index] of [
      ['key', 1],
      ['value', 2],
    ] as const) {
      const present = `present.${layer}.${kind}`;
      const name = newKeyValueName(layer, kind);
      const writer = producer.get(present);
      if (producer.has(name)) {
        // The split attention kernel computes the new positions under this name already.
      } else if (
        writer?.opType === 'Concat' &&
        (writer.domain ?? '') === '' &&
        writer.input?.length === 2 &&
        writer.input[0] === `past_key_values.${layer}.${kind}`
      ) {
        added.push({
          opType: 'Identity',
          name: `muse_${name}`,
          input: [writer.input[1] as string],
          output: [name],
        });
      } else if (
        // Only the nodes fuseAttention wrote: their key and value are [batch, tokens, hidden].
        writer?.opType === 'MultiHeadAttention' &&
        writer.domain === 'com.microsoft' &&
        writer.name === attentionNodeName(layer) &&
        writer.input?.[index]
      ) {
        const shape = `muse_${name}_shape`;
        initializers.push({
          name: shape,
          dataType: DType.int64,
          dims: [4],
          int64Data: [0, 0, dims.numHeads, dims.headDim],
        });
        added.push(
          {
            opType: 'Reshape',
            name: `muse_${name}_heads`,
            input: [writer.input[index] as string, shape],
            output: [`${name}_heads`],
          },
          {
            opType: 'Transpose',
            name: `muse_${name}`,
            input: [`${name}_heads`],
            output: [name],
            attribute: [
              { name: 'perm', type: onnx.AttributeProto.AttributeType.INTS, ints: [0, 2, 1, 3] },
            ],
          },
        );
      } else {
        return 0;
      }
    }
  }
  graph.node = [...(graph.node ?? []), ...added];
  graph.initializer = [...(graph.initializer ?? []), ...initializers];
  graph.output = [
    ...(graph.output ?? []),
    ...layers.flatMap((layer) =>
      (['key', 'value'] as const).map((kind) =>
        valueInfo(newKeyValueName(layer, kind), DType.float, [
          'batch_size',
          dims.numHeads,
          'new_sequence_length',
          dims.headDim,
        ]),
      ),
    ),
  ];
  return layers.length;
}
