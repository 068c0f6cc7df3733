import type { onnx as Onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { nodeInputs, removeDead, sortTopologically } from '#tools/model/optimize/graph.ts';

const GRAPH = 5; // AttributeProto.AttributeType.GRAPH

/** An `If` on `cond` whose branches read `outer` (produced in the main graph) and a local constant. */
const ifNode = (): Onnx.INodeProto => ({
  opType: 'If',
  input: ['cond'],
  output: ['y'],
  attribute: [
    {
      name: 'then_branch',
      type: GRAPH,
      g: {
        initializer: [{ name: 'local_c' }],
        node: [
          { opType: 'Add', input: ['outer', 'local_c'], output: ['t'] },
          { opType: 'Identity', input: ['t'], output: ['then_y'] },
        ],
        output: [{ name: 'then_y' }],
      },
    },
    {
      name: 'else_branch',
      type: GRAPH,
      g: {
        node: [{ opType: 'Neg', input: ['w'], output: ['else_y'] }],
        output: [{ name: 'else_y' }],
      },
    },
  ],
});

describe('optimizer graph helpers and subgraphs', () => {
  it('counts what an If’s branches read from the outer scope as its inputs', () => {
    expect(nodeInputs(ifNode()).sort()).toEqual(['cond', 'outer', 'w']);
    expect(nodeInputs({ opType: 'Add', input: ['a', '', 'b'] })).toEqual(['a', 'b']);
  });

  it('keeps the producers and initializers a branch reads, and orders them before the If', () => {
    const graph: Onnx.IGraphProto = {
      input: [{ name: 'x' }, { name: 'cond' }],
      output: [{ name: 'y' }],
      initializer: [{ name: 'w' }, { name: 'unused' }],
      node: [
        ifNode(),
        { opType: 'Relu', input: ['x'], output: ['outer'] },
        { opType: 'Relu', input: ['x'], output: ['dead'] },
      ],
    };
    removeDead(graph);
    expect((graph.node ?? []).map((n) => n.output?.[0])).toEqual(['y', 'outer']);
    expect((graph.initializer ?? []).map((t) => t.name)).toEqual(['w']);
    expect(sortTopologically(graph, graph.node ?? []).map((n) => n.opType)).toEqual(['Relu', 'If']);
  });
});
