import { availableParallelism } from 'node:os';
import type { InferenceSession } from 'onnxruntime-common';

/**
 * ONNX Runtime options sized to the machine: `threads` intra-op threads,
 * with spinning off where busy-waiting worker threads would steal the core
 * the JavaScript thread needs between runs:
 * - on ≤ 2 threads (two threads then ran slower than one);
 * - whenever `threads` exceeds the vCPUs this process can use (`cores`):
 *   measured here, 4 threads on 2 cores decoded 2.0–2.4× slower spinning
 *   than not (see the README's speed section).
 */
export function sessionOptions(
  threads: number,
  cores: number = availableParallelism(),
): InferenceSession.SessionOptions {
  const spin = threads > 2 && threads <= cores;
  return {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    ...(spin ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } }),
  };
}
