/**
 * Block-wise weight quantization in the layout of onnxruntime's
 * `com.microsoft.MatMulNBits`: a weight of K inputs × N outputs is stored
 * transposed, N rows of ⌈K / blockSize⌉ blocks; each block has one fp32
 * scale and its codes, packed low bits first (two 4-bit codes a byte).
 * Symmetric: a code is round(w / scale) + 2^(bits−1) (the op's default
 * zero point, so none is stored), scale = max |w| of the block / (2^(bits−1) − 1).
 */

/** Bits per weight the optimizer writes. */
export const NBITS = [4, 8] as const;
/** Bits per weight. */
export type NBits = (typeof NBITS)[number];
/** Block sizes the optimizer writes (MatMulNBits needs a power of two ≥ 16). */
export const BLOCK_SIZES = [32, 128] as const;
/** A block size. */
export type BlockSize = (typeof BLOCK_SIZES)[number];

/** A weight quantized for MatMulNBits. */
export interface BlockQuantized {
  /** `[N, kBlocks, blobBytes]` codes. */
  packed: Uint8Array;
  /** `[N * kBlocks]` scales. */
  scales: Float32Array;
  kBlocks: number;
  blobBytes: number;
}

/**
 * Quantizes a weight given as `w[k * N + n]` (MatMul's `[K, N]` layout;
 * `transposed: true` for `w[n * K + k]`, e.g. a tied embedding `[V, E]`).
 *
 * @example
 * ```ts
 * const q = quantizeBlocks(w, 768, 3072, { bits: 4, blockSize: 32 });
 * ```
 */
export function quantizeBlocks(
  w: Float32Array,
  K: number,
  N: number,
  options: { bits: NBits; blockSize: BlockSize; transposed?: boolean },
): BlockQuantized {
  const { bits, blockSize } = options;
  if (w.length !== K * N)
    throw new RangeError(`quantizeBlocks: ${w.length} weights for ${K}×${N}.`);
  const at = options.transposed
    ? (k: number, n: number) => n * K + k
    : (k: number, n: number) => k * N + n;
  const kBlocks = Math.ceil(K / blockSize);
  const blobBytes = (blockSize * bits) / 8;
  const zero = 1 << (bits - 1);
  const qmax = zero - 1;
  const packed = new Uint8Array(N * kBlocks * blobBytes);
  const scales = new Float32Array(N * kBlocks);
  for (let n = 0; n < N; n++) {
    for (let b = 0; b < kBlocks; b++) {
      const from = b * blockSize;
      const to = Math.min(K, from + blockSize);
      let amax = 0;
      for (let k = from; k < to; k++) amax = Math.max(amax, Math.abs(w[at(k, n)] as number));
      const scale = Math.fround(amax === 0 ? 1 : amax / qmax);
      scales[n * kBlocks + b] = scale;
      const base = (n * kBlocks + b) * blobBytes;
      for (let j = 0; j < blockSize; j++) {
        const k = from + j;
        const q =
          k < K ? Math.max(-zero, Math.min(qmax, Math.round((w[at(k, n)] as number) / scale))) : 0;
        const code = q + zero;
        if (bits === 8) packed[base + j] = code;
        else {
          const byte = base + (j >> 1);
          packed[byte] = (packed[byte] as number) | (j & 1 ? code << 4 : code);
        }
      }
    }
  }
  return { packed, scales, kBlocks, blobBytes };
}

/** The weights a {@link BlockQuantized} stands for, in MatMul's `[K, N]` layout (for checks). */
export function dequantizeBlocks(
  q: BlockQuantized,
  K: number,
  N: number,
  options: { bits: NBits; blockSize: BlockSize },
): Float32Array {
  const { bits, blockSize } = options;
  const zero = 1 << (bits - 1);
  const out = new Float32Array(K * N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / blockSize);
      const j = k % blockSize;
      const base = (n * q.kBlocks + b) * q.blobBytes;
      const code =
        bits === 8
          ? (q.packed[base + j] as number)
          : ((q.packed[base + (j >> 1)] as number) >> (j & 1 ? 4 : 0)) & 0xf;
      out[k * N + n] = (code - zero) * (q.scales[n * q.kBlocks + b] as number);
    }
  }
  return out;
}
