// Reads what a model file needs before onnxruntime gets it: a walk over the protobuf wire format of an ONNX
// ModelProto (no decoding into objects, no copies) that finds a truncated file and lists the external data
// files its weights live in, with the bytes each must hold. A rig owner then hears "onnx/model.onnx_data_1
// is missing" instead of a native error from deep inside onnxruntime.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class OnnxFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxFileError';
  }
}

/** Field numbers from onnx.proto. */
const MODEL_GRAPH = 7;
const MODEL_OPSET_IMPORT = 8;
const GRAPH_INITIALIZER = 5;
const TENSOR_EXTERNAL_DATA = 13;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;

interface Field {
  no: number;
  wire: number;
  /** For length-delimited fields: [start, end) of the payload. */
  start: number;
  end: number;
}

function readVarint(buf: Uint8Array, pos: number, limit: number): [number, number] {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= limit) throw new OnnxFileError('ends inside a field');
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    if (b < 0x80) return [value, pos];
    mul *= 128;
  }
  throw new OnnxFileError('has a malformed varint');
}

/** The fields of one message in buf[start, end); throws when a field runs past the end. */
function* fields(buf: Uint8Array, start: number, end: number): Generator<Field> {
  let pos = start;
  while (pos < end) {
    const [tag, p] = readVarint(buf, pos, end);
    pos = p;
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (no === 0) throw new OnnxFileError('has a field numbered 0');
    if (wire === 0) {
      pos = readVarint(buf, pos, end)[1];
      yield { no, wire, start: pos, end: pos };
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > end) throw new OnnxFileError('ends inside a field');
      yield { no, wire, start: pos, end: pos };
    } else if (wire === 2) {
      const [len, q] = readVarint(buf, pos, end);
      if (q + len > end) throw new OnnxFileError('ends inside a field');
      pos = q + len;
      yield { no, wire, start: q, end: pos };
    } else {
      throw new OnnxFileError(`has a field of unknown wire type ${wire}`);
    }
  }
}

const utf8 = new TextDecoder();

export interface OnnxScan {
  /** External data files (as the model names them, relative to its folder) → bytes the model reads there. */
  external: Map<string, number>;
}

/** Past this size a model file can't be protobuf (2 GB), so it is not scanned in full here. */
const MAX_SCAN_BYTES = 2 ** 31;

/** Scans an ONNX file; throws OnnxFileError with the reason when it is not a whole ONNX model. */
export function scanOnnxFile(file: string): OnnxScan {
  const fd = openSync(file, 'r');
  let buf: Uint8Array;
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new OnnxFileError('is empty');
    if (size > MAX_SCAN_BYTES) throw new OnnxFileError('is over 2 GB, past what a protobuf file can hold');
    buf = new Uint8Array(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
  } finally {
    closeSync(fd);
  }
  return scanOnnxBytes(buf);
}

export function scanOnnxBytes(buf: Uint8Array): OnnxScan {
  const external = new Map<string, number>();
  let graph: Field | undefined;
  let opsets = 0;
  for (const f of fields(buf, 0, buf.length)) {
    if (f.no === MODEL_GRAPH && f.wire === 2) graph = f;
    if (f.no === MODEL_OPSET_IMPORT && f.wire === 2) opsets++;
  }
  if (!graph) throw new OnnxFileError('has no graph (truncated, or not an ONNX model)');
  if (opsets === 0) throw new OnnxFileError('has no opset import (truncated, or not an ONNX model)');
  for (const g of fields(buf, graph.start, graph.end)) {
    if (g.no !== GRAPH_INITIALIZER || g.wire !== 2) continue;
    const entries: Record<string, string> = {};
    for (const t of fields(buf, g.start, g.end)) {
      if (t.no !== TENSOR_EXTERNAL_DATA || t.wire !== 2) continue;
      let key = '';
      let value = '';
      for (const e of fields(buf, t.start, t.end)) {
        if (e.wire !== 2) continue;
        if (e.no === ENTRY_KEY) key = utf8.decode(buf.subarray(e.start, e.end));
        if (e.no === ENTRY_VALUE) value = utf8.decode(buf.subarray(e.start, e.end));
      }
      entries[key] = value;
    }
    if (entries.location === undefined) continue;
    const location = entries.location;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(location)) {
      throw new OnnxFileError(`names external data "${location}" outside its own folder`);
    }
    const end = Number(entries.offset ?? 0) + Number(entries.length ?? 0);
    if (!Number.isSafeInteger(end)) throw new OnnxFileError(`has a bad offset or length for ${location}`);
    external.set(location, Math.max(external.get(location) ?? 0, end));
  }
  return { external };
}
