// A small builder for ONNX graphs in code (onnx-proto → protobuf bytes), so the project's own
// models (summarizer core, demo LM, test LMs) are data we generate, not binaries we download.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type ElemType = 'float' | 'int64' | 'int32' | 'bool';
const DATA_TYPE: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type Dim = number | string;
export type AttrValue =
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { tensor: { type: ElemType; dims: number[]; data: ArrayLike<number> | ArrayLike<bigint> } };

function rawBytes(type: ElemType, data: ArrayLike<number> | ArrayLike<bigint>): Uint8Array {
  const n = data.length;
  let arr: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  if (type === 'float')
    arr = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  else if (type === 'int32')
    arr = data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
  else if (type === 'bool') arr = Uint8Array.from(data as ArrayLike<number>, (v) => (v ? 1 : 0));
  else {
    const out = new BigInt64Array(n);
    for (let i = 0; i < n; i++) out[i] = BigInt(data[i] as number | bigint);
    arr = out;
  }
  // Typed arrays are little-endian on every platform onnxruntime-node ships for, as ONNX raw_data requires.
  return new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
}

function tensorProto(
  name: string,
  type: ElemType,
  dims: number[],
  data: ArrayLike<number> | ArrayLike<bigint>,
) {
  return onnx.TensorProto.create({ name, dataType: DATA_TYPE[type], dims, rawData: rawBytes(type, data) });
}

function valueInfo(name: string, type: ElemType, shape: Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private counter = 0;

  constructor(private readonly name: string) {}

  input(name: string, type: ElemType, shape: Dim[]): string {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  output(name: string, type: ElemType, shape: Dim[]): string {
    this.outputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** A constant tensor stored in the model (weights, shape vectors, scalars). */
  init(type: ElemType, dims: number[], data: ArrayLike<number> | ArrayLike<bigint>, name?: string): string {
    const n = name ?? `c${this.counter++}`;
    this.initializers.push(tensorProto(n, type, dims, data));
    return n;
  }

  scalar(type: ElemType, value: number): string {
    return this.init(type, [], [value]);
  }

  vec(type: 'int64' | 'int32' | 'float', values: number[]): string {
    return this.init(type, [values.length], values);
  }

  /** Adds one node; returns its single output name (or the given names). */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const out = outputName ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: [out],
        name: `${out}_node`,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return out;
  }

  toBytes(opset = 17): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'cocoon-worker',
      opsetImport: [{ domain: '', version: opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, v: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ('int' in v) return { name, type: T.INT, i: v.int };
  if ('ints' in v) return { name, type: T.INTS, ints: v.ints };
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.TENSOR, t: tensorProto('', v.tensor.type, v.tensor.dims, v.tensor.data) };
}
