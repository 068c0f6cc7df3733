import type { onnx as Onnx } from 'onnx-proto';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX element types the builder uses. */
export const DType = {
  float: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int8: onnx.TensorProto.DataType.INT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
} as const;

type AttrValue = number | string | number[] | Onnx.IGraphProto;

/** A dimension: a fixed size or a named dynamic axis. */
export type Dim = number | string;

/**
 * A tiny DSL over the ONNX protobuf types: add nodes and initializers by name,
 * then serialise a model. Node and tensor names are deterministic, so the
 * same build produces the same bytes.
 */
export class GraphBuilder {
  readonly nodes: Onnx.INodeProto[] = [];
  readonly initializers: Onnx.ITensorProto[] = [];
  readonly inputs: Onnx.IValueInfoProto[] = [];
  readonly outputs: Onnx.IValueInfoProto[] = [];
  private counter = 0;

  /** Adds a node (named `name`, else `{opType}_{n}`); returns its output names (fresh unless `outputs` is given). */
  op(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttrValue> = {},
    options: { outputs?: string[] | number; domain?: string; name?: string } = {},
  ): string[] {
    const id = this.counter++;
    const outputs =
      typeof options.outputs === 'object'
        ? options.outputs
        : Array.from({ length: options.outputs ?? 1 }, (_, i) => `${opType}_${id}_${i}`);
    this.nodes.push({
      opType,
      name: options.name ?? `${opType}_${id}`,
      input: inputs,
      output: outputs,
      ...(options.domain ? { domain: options.domain } : {}),
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
    return outputs;
  }

  /** Adds a node with one output and returns that output's name. */
  op1(opType: string, inputs: string[], attributes: Record<string, AttrValue> = {}): string {
    return this.op(opType, inputs, attributes)[0] as string;
  }

  /** Adds an initializer from a typed array (stored as raw little-endian bytes). */
  tensor(
    name: string,
    dataType: number,
    dims: number[],
    data: Float32Array | Int8Array | Uint8Array | BigInt64Array | Int32Array,
  ): string {
    this.initializers.push({
      name,
      dataType,
      dims,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  /** An int64 constant initializer. */
  int64(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.tensor(name, DType.int64, dims, BigInt64Array.from(values.map(BigInt)));
  }

  /** A float constant initializer. */
  float(name: string, values: number[], dims: number[] = [values.length]): string {
    return this.tensor(name, DType.float, dims, Float32Array.from(values));
  }

  /** Declares a graph input. */
  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Declares a graph output. */
  output(name: string, elemType: number, dims: Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Serialises the graph as an ONNX model. */
  encode(graphName: string, opsetVersion: number, producer: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 9,
      producerName: producer,
      producerVersion: '1',
      opsetImport: [{ domain: '', version: opsetVersion }],
      graph: {
        name: graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, value: AttrValue): Onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string')
    return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: T.INTS, ints: value };
  if (typeof value === 'object') return { name, type: T.GRAPH, g: value };
  if (Number.isInteger(value)) return { name, type: T.INT, i: value };
  return { name, type: T.FLOAT, f: value };
}

/** A typed tensor declaration (a graph input or output). */
export function valueInfo(name: string, elemType: number, dims: Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}
