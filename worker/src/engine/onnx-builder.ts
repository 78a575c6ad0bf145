// A small builder for ONNX graphs in code (onnx-proto → protobuf bytes), so the project's own
// models (summarizer core, demo LM, test LMs) are data we generate, not binaries we download.
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type ElemType = 'float' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';
export const DATA_TYPE: Record<ElemType, number> = {
  float: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  int8: onnx.TensorProto.DataType.INT8,
  uint8: onnx.TensorProto.DataType.UINT8,
  bool: onnx.TensorProto.DataType.BOOL,
};

export type Dim = number | string;
export type AttrValue =
  | { int: number }
  | { ints: number[] }
  | { float: number }
  | { floats: number[] }
  | { tensor: { type: ElemType; dims: number[]; data: ArrayLike<number> | ArrayLike<bigint> } };

function rawBytes(type: ElemType, data: ArrayLike<number> | ArrayLike<bigint>): Uint8Array {
  const n = data.length;
  let arr: Float32Array | Int32Array | BigInt64Array | Uint8Array;
  if (data instanceof Uint8Array && type !== 'bool') return data; // already raw little-endian bytes
  if (type === 'float')
    arr = data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
  else if (type === 'int8' || type === 'uint8') {
    const typed =
      type === 'int8'
        ? Int8Array.from(data as ArrayLike<number>)
        : Uint8Array.from(data as ArrayLike<number>);
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  } else if (type === 'float16') throw new Error('float16 tensors take raw bytes (a Uint8Array)');
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

/** Raw little-endian bytes of one weight, made when the model is written (see GraphBuilder.lazyInit). */
export type TensorBytes = () => Uint8Array;

interface LazyTensor {
  name: string;
  type: ElemType;
  dims: number[];
  bytes: TensorBytes;
}

export interface WriteModelOptions {
  opset?: number;
  /** Opsets of other domains (e.g. com.microsoft). */
  extraOpsets?: Record<string, number>;
  /**
   * Weights go to `<file>_data` next to the model instead of inside it (required past protobuf's 2 GB);
   * with chunkBytes, a new chunk `<file>_data_1`, `_2`, … starts before a tensor would pass that size.
   */
  externalData?: { chunkBytes?: number };
}

/** Offsets of tensors in external data files are aligned like the onnx package does it (mmap-friendly). */
const EXTERNAL_ALIGN = 4096;

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly lazy: LazyTensor[] = [];
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

  /**
   * A weight whose bytes are produced only when the model is written, one tensor at a time: a large model
   * streams to disk without ever holding all of its weights in memory.
   */
  lazyInit(type: ElemType, dims: number[], bytes: TensorBytes, name: string): string {
    this.lazy.push({ name, type, dims, bytes });
    return name;
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

  /** A node with several outputs (e.g. DynamicQuantizeLinear); returns their names. */
  opN(
    opType: string,
    inputs: string[],
    outputs: number,
    attrs: Record<string, AttrValue> = {},
    domain?: string,
  ): string[] {
    const base = `${opType.toLowerCase()}_${this.counter++}`;
    const names = Array.from({ length: outputs }, (_, i) => `${base}_${i}`);
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        domain,
        input: inputs,
        output: names,
        name: `${base}_node`,
        attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
      }),
    );
    return names;
  }

  /** The whole model in one buffer, lazy weights inline (small models only: protobuf stops at 2 GB). */
  toBytes(opset = 17): Uint8Array {
    const inline = this.lazy.map((t) => tensorProto(t.name, t.type, t.dims, t.bytes()));
    return this.encode([...this.initializers, ...inline], { opset });
  }

  /**
   * Writes the model to `file`, streaming lazy weights one at a time, to external data files when asked.
   * Returns the external data files written (names relative to the model's folder), in order.
   */
  async writeModel(file: string, options: WriteModelOptions = {}): Promise<string[]> {
    await mkdir(path.dirname(file), { recursive: true });
    if (!options.externalData) {
      await writeFile(file, this.toBytes(options.opset));
      return [];
    }
    const chunkBytes = options.externalData.chunkBytes ?? Number.POSITIVE_INFINITY;
    const base = path.basename(file);
    const external: onnxProto.onnx.ITensorProto[] = [];
    const chunks: string[] = [];
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    let offset = 0;
    try {
      for (const t of this.lazy) {
        const bytes = t.bytes();
        const start = Math.ceil(offset / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
        if (!handle || (offset > 0 && start + bytes.byteLength > chunkBytes)) {
          await handle?.close();
          const name = `${base}_data${chunks.length === 0 ? '' : `_${chunks.length}`}`;
          chunks.push(name);
          handle = await open(path.join(path.dirname(file), name), 'w');
          offset = 0;
        }
        const at = Math.ceil(offset / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
        await handle.write(bytes, 0, bytes.byteLength, at);
        offset = at + bytes.byteLength;
        external.push(
          onnx.TensorProto.create({
            name: t.name,
            dataType: DATA_TYPE[t.type],
            dims: t.dims,
            dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
            externalData: [
              { key: 'location', value: chunks.at(-1) },
              { key: 'offset', value: String(at) },
              { key: 'length', value: String(bytes.byteLength) },
            ],
          }),
        );
      }
    } finally {
      await handle?.close();
    }
    await writeFile(file, this.encode([...this.initializers, ...external], options));
    return chunks;
  }

  private encode(
    initializer: onnxProto.onnx.ITensorProto[],
    options: Pick<WriteModelOptions, 'opset' | 'extraOpsets'>,
  ): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'cocoon-worker',
      opsetImport: [
        { domain: '', version: options.opset ?? 17 },
        ...Object.entries(options.extraOpsets ?? {}).map(([domain, version]) => ({ domain, version })),
      ],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer,
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
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: tensorProto('', v.tensor.type, v.tensor.dims, v.tensor.data) };
}
