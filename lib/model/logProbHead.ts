import type { InferenceSession } from 'onnxruntime-common';
import * as ort from 'onnxruntime-node';
import { config } from '../config.ts';
import { DType, GraphBuilder } from './onnxGraph.ts';
import { sessionOptions } from './sessionOptions.ts';

/**
 * A two-node ONNX graph, `GatherElements(LogSoftmax(logits, axis=1), targets)`:
 * logits `[rows, vocab]`, targets `[rows, k]` (int64) → log-probabilities
 * `[rows, k]`. ONNX Runtime's vectorised kernels do the log-sum-exp over
 * GPT-2's 50,257-entry rows about 25× faster than a JavaScript loop.
 */
function headModel(): Uint8Array {
  const g = new GraphBuilder();
  const logits = g.input('logits', DType.float, ['rows', 'vocab']);
  const targets = g.input('targets', DType.int64, ['rows', 'k']);
  const logSoftmax = g.op1('LogSoftmax', [logits], { axis: 1 });
  g.op('GatherElements', [logSoftmax, targets], { axis: 1 }, { outputs: ['logprobs'] });
  g.output('logprobs', DType.float, ['rows', 'k']);
  return g.encode('muse_logprob_head', 17, 'muse');
}

let session: Promise<InferenceSession> | undefined;

/**
 * Log-probabilities of target tokens under rows of logits: `targets[r]` are
 * token ids scored against row `r` of `logits` (`vocab` floats per row;
 * every row has the same number of targets). One session per process,
 * created on first use, with the model's thread count (`config().model.threads`).
 *
 * @example
 * ```ts
 * const [[lp]] = await logProbs(lastRowLogits, 50257, [[token]]);
 * ```
 */
export async function logProbs(
  logits: Float32Array,
  vocab: number,
  targets: readonly (readonly number[])[],
): Promise<number[][]> {
  const rows = targets.length;
  const k = targets[0]?.length ?? 0;
  if (rows === 0 || k === 0) return targets.map(() => []);
  if (logits.length !== rows * vocab) {
    throw new RangeError(`logProbs: ${logits.length} logits for ${rows} rows of ${vocab}.`);
  }
  if (targets.some((t) => t.length !== k)) {
    throw new RangeError('logProbs: every row needs the same number of targets.');
  }
  session ??= ort.InferenceSession.create(headModel(), sessionOptions(config().model.threads));
  const out = await (await session).run({
    logits: new ort.Tensor('float32', logits, [rows, vocab]),
    targets: new ort.Tensor('int64', BigInt64Array.from(targets.flatMap((t) => t.map(BigInt))), [
      rows,
      k,
    ]),
  });
  const flat = (out.logprobs as ort.Tensor).data as Float32Array;
  return targets.map((_, r) => Array.from(flat.subarray(r * k, (r + 1) * k)));
}
