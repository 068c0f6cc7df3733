import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DType, GraphBuilder } from '#lib/model/onnxGraph.ts';
import { liftCacheBranch } from '#tools/model/optimize/unmerge.ts';

const { onnx } = onnxProto;

/**
 * A toy merged decoder: `y = If(use_cache_branch, past_key_values.0.key + w, x * w)`, with `w`
 * a top-level weight both branches read; the with-past branch names its output `then_y`.
 */
function toyMerged(options: { thenReadsPast?: boolean; shadow?: boolean } = {}) {
  const g = new GraphBuilder();
  g.input('x', DType.float, [2]);
  g.input('past_key_values.0.key', DType.float, [2]);
  g.input('use_cache_branch', DType.bool, [1]);
  g.float('w', [3, 4]);
  const branch = (name: string, build: (b: GraphBuilder) => string) => {
    const b = new GraphBuilder();
    const out = build(b);
    b.output(out, DType.float, [2]);
    return { name, node: b.nodes, initializer: b.initializers, input: [], output: b.outputs };
  };
  const withPast = branch('with_past', (b) => {
    const w = options.shadow ? b.float('w', [10, 10]) : 'w';
    const read = options.thenReadsPast === false ? 'x' : 'past_key_values.0.key';
    return b.op('Add', [read, w], {}, { outputs: ['then_y'] })[0] as string;
  });
  const noPast = branch(
    'no_past',
    (b) => b.op('Mul', ['x', 'w'], {}, { outputs: ['y'] })[0] as string,
  );
  g.op(
    'If',
    ['use_cache_branch'],
    { then_branch: withPast, else_branch: noPast },
    { outputs: ['y'] },
  );
  g.output('y', DType.float, [2]);
  return onnx.ModelProto.decode(g.encode('merged', 17, 'test'));
}

describe('liftCacheBranch (model:optimize on merged decoders)', () => {
  it('replaces the If by its with-past branch, aliasing its output to the graph’s name, and keeps use_cache_branch as an input', async () => {
    const model = toyMerged();

    expect(liftCacheBranch(model)).toBe(true);
    const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]),
      'past_key_values.0.key': new ort.Tensor('float32', Float32Array.from([10, 20]), [2]),
      use_cache_branch: new ort.Tensor('bool', [false], [1]),
    });

    expect(model.graph?.node?.map((n) => n.opType)).toEqual(['Add', 'Identity']);
    expect(model.graph?.input?.map((i) => i.name)).toEqual([
      'x',
      'past_key_values.0.key',
      'use_cache_branch',
    ]);
    expect(Array.from((out.y as ort.Tensor).data as Float32Array)).toEqual([13, 24]);
    await session.release();
  });

  it('leaves a graph without an If on use_cache_branch alone', () => {
    const g = new GraphBuilder();
    g.input('x', DType.float, [1]);
    g.op('Neg', ['x'], {}, { outputs: ['y'] });
    g.output('y', DType.float, [1]);
    const model = onnx.ModelProto.decode(g.encode('plain', 17, 'test'));

    expect(liftCacheBranch(model)).toBe(false);
    expect(model.graph?.node?.map((n) => n.opType)).toEqual(['Neg']);
  });

  it('refuses a then_branch that reads no past_key_values, naming the layout it expects', () => {
    expect(() => liftCacheBranch(toyMerged({ thenReadsPast: false }))).toThrow(
      /no then_branch that reads past_key_values.*merge_decoders/,
    );
  });

  it('refuses a branch initializer that shadows a different top-level tensor', () => {
    expect(() => liftCacheBranch(toyMerged({ shadow: true }))).toThrow(
      /shadows a different top-level tensor/,
    );
  });
});
