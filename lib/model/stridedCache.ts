import * as ort from 'onnxruntime-node';

/** Positions a {@link StridedKvCache} grows by when full. */
export const CACHE_CHUNK = 32;

/**
 * The graph output carrying layer `layer`'s new `kind` positions: the
 * positions a run appended to `present.{layer}.{kind}` (`model:optimize`
 * adds these outputs).
 */
export const newKeyValueName = (layer: number, kind: 'key' | 'value') => `new.${layer}.${kind}`;

/** The cache tensors' names: what a step reads (`past`), and what it appended (`fresh`). */
interface CacheSlot {
  past: string;
  present: string;
  fresh: string;
}

/** Shapes the cache needs, from the model's `config.json` (see `Gpt2Dims`). */
export interface CacheDims {
  nLayer: number;
  nHead: number;
  headDim: number;
  /**
   * The graph computes `present.*` only when asked (`model:optimize`'s split
   * attention): a step then feeds a mask one column wider than past + new,
   * and the graph skips concatenating the whole cache it would return.
   */
  presentOnDemand?: boolean;
}

/** What one step's run returns that the cache reads. */
export type StepOutputs = Record<string, ort.OnnxValue>;

/**
 * A decode loop's KV cache held in Muse's buffers, for a graph that outputs
 * each step's new positions (`new.{i}.key|value`, see
 * `tools/model/optimize/newKeyValues.ts`). Each buffer has room for `stride`
 * positions per row and head; a step feeds the whole buffer as the past and
 * masks the positions not yet written (`attention_mask` 0), then
 * {@link append} writes the step's new positions. The buffer grows by
 * {@link CACHE_CHUNK} positions when full, so the attention reads fewer
 * masked positions than that per row.
 *
 * Against carrying `present.*` back as the next past, a step no longer
 * copies the whole cache out of onnxruntime (which onnxruntime-node does
 * for every fetched output): at batch 8 on gpt2, ~30 MB per token.
 *
 * Rows attend to every written position: the loop's rows all share the
 * prompt (no padding), which is how `OrtGpt2Model.generate` decodes.
 */
export class StridedKvCache {
  private stride: number;
  private filled: number;
  private readonly buffers: Float32Array[];
  private readonly slots: CacheSlot[];
  /** The outputs a step fetches: the logits and the new positions, not `present.*`. */
  readonly fetches: readonly string[];

  /**
   * Tiles the batch-1 prompt cache (`present.*` of a prefill of `promptLength`
   * tokens) to `rows` rows.
   */
  constructor(
    private readonly dims: CacheDims,
    private readonly rows: number,
    prompt: StepOutputs,
    promptLength: number,
  ) {
    this.slots = Array.from({ length: dims.nLayer }, (_, i) =>
      (['key', 'value'] as const).map((kind) => ({
        past: `past_key_values.${i}.${kind}`,
        present: `present.${i}.${kind}`,
        fresh: newKeyValueName(i, kind),
      })),
    ).flat();
    this.fetches = ['logits', ...this.slots.map((s) => s.fresh)];
    this.filled = promptLength;
    this.stride = roundUp(promptLength);
    const { nHead, headDim } = dims;
    this.buffers = this.slots.map(({ present }) => {
      const data = (prompt[present] as ort.Tensor).data as Float32Array;
      const buffer = new Float32Array(rows * nHead * this.stride * headDim);
      for (let h = 0; h < nHead; h++) {
        const head = data.subarray(h * promptLength * headDim, (h + 1) * promptLength * headDim);
        for (let r = 0; r < rows; r++) buffer.set(head, (r * nHead + h) * this.stride * headDim);
      }
      return buffer;
    });
  }

  /** Points `feeds` at the cache: the past tensors and an `attention_mask` masking unwritten positions. */
  feed(feeds: Record<string, ort.Tensor>): void {
    const { nHead, headDim } = this.dims;
    this.slots.forEach(({ past }, j) => {
      feeds[past] = new ort.Tensor('float32', this.buffers[j] as Float32Array, [
        this.rows,
        nHead,
        this.stride,
        headDim,
      ]);
    });
    // Per row: the written positions, the room not yet written, then the new token (and, on a
    // present-on-demand graph, one ignored column asking it not to build present.*).
    const width = this.stride + (this.dims.presentOnDemand ? 2 : 1);
    const mask = new BigInt64Array(this.rows * width);
    for (let r = 0; r < this.rows; r++) {
      mask.fill(1n, r * width, r * width + this.filled);
      mask[r * width + this.stride] = 1n;
    }
    feeds.attention_mask = new ort.Tensor('int64', mask, [this.rows, width]);
  }

  /** Writes a one-token step's new positions (`new.{i}.*` of `outputs`) after the written ones. */
  append(outputs: StepOutputs): void {
    if (this.filled === this.stride) this.grow();
    const { nHead, headDim } = this.dims;
    this.slots.forEach(({ fresh }, j) => {
      const step = outputs[fresh] as ort.Tensor;
      if (step.dims[2] !== 1) {
        throw new RangeError(`${fresh} holds ${step.dims[2]} positions; a step appends one.`);
      }
      const data = step.data as Float32Array;
      const buffer = this.buffers[j] as Float32Array;
      for (let rh = 0; rh < this.rows * nHead; rh++) {
        buffer.set(
          data.subarray(rh * headDim, (rh + 1) * headDim),
          (rh * this.stride + this.filled) * headDim,
        );
      }
    });
    this.filled++;
  }

  /** Re-lays the buffers out with {@link CACHE_CHUNK} more positions per row and head. */
  private grow(): void {
    const { nHead, headDim } = this.dims;
    const stride = this.stride + CACHE_CHUNK;
    // One tensor at a time, so at most one old buffer is held beside the new ones.
    for (let j = 0; j < this.buffers.length; j++) {
      const old = this.buffers[j] as Float32Array;
      const buffer = new Float32Array(this.rows * nHead * stride * headDim);
      for (let rh = 0; rh < this.rows * nHead; rh++) {
        buffer.set(
          old.subarray(rh * this.stride * headDim, (rh * this.stride + this.filled) * headDim),
          rh * stride * headDim,
        );
      }
      this.buffers[j] = buffer;
    }
    this.stride = stride;
  }
}

const roundUp = (positions: number) => Math.ceil(positions / CACHE_CHUNK) * CACHE_CHUNK;
