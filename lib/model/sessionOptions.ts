import type { InferenceSession } from 'onnxruntime-common';

/**
 * ONNX Runtime options sized to the machine: one intra-op thread per vCPU,
 * and spinning off on ≤ 2 vCPUs, where busy-waiting threads steal the core
 * the other thread needs (two threads then run slower than one).
 */
export function sessionOptions(threads: number): InferenceSession.SessionOptions {
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...(threads <= 2 ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
}
