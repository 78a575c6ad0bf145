// Random weights, deterministic by seed and tensor name (no Python, no downloads): every variant of a test
// decoder (fp32, q8) and every build on any machine gets the same numbers for the same spec.
import { createHash } from 'node:crypto';

/** xoshiro128** seeded from sha256(seed ‖ name): fast, and independent streams per tensor. */
function streamFor(seed: number, name: string): () => number {
  const h = createHash('sha256').update(`cocoon/test-decoder/v1|${seed}|${name}`).digest();
  let a = h.readUInt32LE(0);
  let b = h.readUInt32LE(4);
  let c = h.readUInt32LE(8);
  let d = h.readUInt32LE(12);
  if ((a | b | c | d) === 0) a = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * `count` floats uniform in [center - halfWidth, center + halfWidth), in float32. A uniform law with the
 * same standard deviation as Hugging Face's normal init (halfWidth = std·√3) is enough for shapes and speed.
 */
export function uniformWeights(
  seed: number,
  name: string,
  count: number,
  halfWidth: number,
  center = 0,
): Float32Array {
  const next = streamFor(seed, name);
  const out = new Float32Array(count);
  const scale = (2 * halfWidth) / 2 ** 32;
  const low = center - halfWidth;
  for (let i = 0; i < count; i++) out[i] = low + next() * scale;
  return out;
}

/** Weights with the standard deviation of a normal init of `std`. */
export function initWeights(seed: number, name: string, count: number, std: number): Float32Array {
  return uniformWeights(seed, name, count, std * Math.sqrt(3));
}

/** The bytes of a float32 array as ONNX raw data (little-endian on every platform we ship for). */
export function floatBytes(x: Float32Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

/**
 * Symmetric int8 quantization per output column of a [rows × cols] row-major matrix: q = round(w / s),
 * s = max|w[:, c]| / 127. What a dynamic-quantization export stores for each MatMul weight.
 */
export function quantizeColumns(
  w: Float32Array,
  rows: number,
  cols: number,
): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) {
      const v = Math.abs(w[row + c]);
      if (v > scale[c]) scale[c] = v;
    }
  }
  for (let c = 0; c < cols; c++) scale[c] = scale[c] > 0 ? scale[c] / 127 : 1;
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++)
      q[row + c] = Math.max(-127, Math.min(127, Math.round(w[row + c] / scale[c])));
  }
  return { q, scale };
}

/** A [rows × cols] row-major matrix transposed to [cols × rows]. */
export function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = w[row + c];
  }
  return out;
}

/**
 * 4-bit block quantization as onnxruntime's MatMulNBits reads it: for each output row n of a [N × K] matrix
 * and each block of `block` values along K, a scale max|w| / 7 and values round(w / scale) + 8 in [0, 15]
 * (the default zero point 8), two per byte, the even element in the low nibble.
 */
export function quantizeBlocks4(
  w: Float32Array,
  n: number,
  k: number,
  block: number,
): { packed: Uint8Array; scales: Float32Array } {
  if (k % block !== 0) throw new Error(`K = ${k} is not a multiple of the block size ${block}`);
  const blocks = k / block;
  const packed = new Uint8Array((n * k) / 2);
  const scales = new Float32Array(n * blocks);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < blocks; b++) {
      const start = r * k + b * block;
      let max = 0;
      for (let i = 0; i < block; i++) max = Math.max(max, Math.abs(w[start + i]));
      const scale = max > 0 ? max / 7 : 1;
      scales[r * blocks + b] = scale;
      for (let i = 0; i < block; i++) {
        const q = Math.max(-8, Math.min(7, Math.round(w[start + i] / scale))) + 8;
        const at = (start + i) >> 1;
        packed[at] |= i % 2 === 0 ? q : q << 4;
      }
    }
  }
  return { packed, scales };
}
