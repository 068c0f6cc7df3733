import * as ort from 'onnxruntime-node';
import { StridedKvCache } from '#lib/model/stridedCache.ts';

/**
 * A bare onnxruntime-node greedy loop with KV cache: the runtime's limit.
 * With `strided`, the cache stays in a `StridedKvCache` and each step
 * fetches only the logits and `new.{i}.*`, asking for `present.*` on demand
 * where `dims` says the graph allows it (what Muse's loop does on an
 * optimized graph); else `present.*` is carried back as the next past.
 */
export async function bareGreedy(
  session: ort.InferenceSession,
  prompt: number[],
  newTokens: number,
  dims: {
    nLayer: number;
    nHead: number;
    headDim: number;
    vocab: number;
    presentOnDemand?: boolean;
  },
  options: { strided?: boolean } = {},
) {
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', BigInt64Array.from(prompt.map(BigInt)), [1, prompt.length]),
    attention_mask: new ort.Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [
      1,
      prompt.length,
    ]),
    position_ids: new ort.Tensor('int64', BigInt64Array.from(prompt.map((_, i) => BigInt(i))), [
      1,
      prompt.length,
    ]),
  };
  for (let i = 0; i < dims.nLayer; i++) {
    feeds[`past_key_values.${i}.key`] = new ort.Tensor('float32', new Float32Array(0), [
      1,
      dims.nHead,
      0,
      dims.headDim,
    ]);
    feeds[`past_key_values.${i}.value`] = new ort.Tensor('float32', new Float32Array(0), [
      1,
      dims.nHead,
      0,
      dims.headDim,
    ]);
  }
  let tokens = 0;
  let length = prompt.length;
  let out = await session.run(feeds);
  const cache = options.strided ? new StridedKvCache(dims, 1, out, prompt.length) : undefined;
  let logits = (out.logits as ort.Tensor).data as Float32Array;
  let offset = (prompt.length - 1) * dims.vocab;
  while (tokens < newTokens) {
    let best = 0;
    for (let v = 1; v < dims.vocab; v++)
      if ((logits[offset + v] as number) > (logits[offset + best] as number)) best = v;
    tokens++;
    if (tokens === newTokens) break;
    feeds.input_ids = new ort.Tensor('int64', BigInt64Array.from([BigInt(best)]), [1, 1]);
    feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from([BigInt(length)]), [1, 1]);
    length++;
    if (cache) {
      cache.feed(feeds);
      out = await session.run(feeds, cache.fetches);
      cache.append(out);
    } else {
      for (let i = 0; i < dims.nLayer; i++) {
        feeds[`past_key_values.${i}.key`] = out[`present.${i}.key`] as ort.Tensor;
        feeds[`past_key_values.${i}.value`] = out[`present.${i}.value`] as ort.Tensor;
      }
      feeds.attention_mask = new ort.Tensor('int64', new BigInt64Array(length).fill(1n), [
        1,
        length,
      ]);
      out = await session.run(feeds);
    }
    logits = (out.logits as ort.Tensor).data as Float32Array;
    offset = 0;
  }
  return tokens;
}
