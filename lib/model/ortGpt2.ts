import type { InferenceSession } from 'onnxruntime-common';
import * as ort from 'onnxruntime-node';
import { SeededRandom } from '../random.ts';
import { type Language, type LanguageFit, languageFit } from './language.ts';
import { logProbs } from './logProbHead.ts';
import { sampleToken } from './sampler.ts';
import { newKeyValueName, StridedKvCache } from './stridedCache.ts';
import type {
  GeneratedSequence,
  GenerationResult,
  ModelInfo,
  SamplingOptions,
  TextModel,
} from './textModel.ts';

/** Architecture facts the decode loop needs, from `config.json`. */
export interface Gpt2Dims {
  nLayer: number;
  nHead: number;
  headDim: number;
  vocabSize: number;
  maxContext: number;
  eosTokenId: number;
  /**
   * The graph's `logits` are already log-probabilities (`model:optimize`
   * appends a LogSoftmax): a sampled token's log-prob is read off its row,
   * with no second session run. Sampling is the same either way (softmax
   * ignores a per-row shift).
   */
  logitsAreLogProbs?: boolean;
  /** The graph builds `present.*` only on demand (see `CacheDims`). */
  presentOnDemand?: boolean;
}

/** Whether a model's `config.json` says its `logits` output is log-softmaxed (see {@link Gpt2Dims}). */
export function logitsAreLogProbs(config: Record<string, unknown>): boolean {
  const muse = config.muse as { optimization?: { logits?: unknown } } | undefined;
  return muse?.optimization?.logits === 'log_softmax';
}

/**
 * Whether a model's `config.json` says its graph builds `present.*` only on
 * demand (`model:optimize`'s split attention kernel; see `CacheDims`).
 */
export function presentOnDemand(config: Record<string, unknown>): boolean {
  const muse = config.muse as { optimization?: { fused?: { kernel?: unknown } } } | undefined;
  return muse?.optimization?.fused?.kernel === 'split';
}

/** The dimensions of a GPT-2 export, read from its `config.json`. */
export function gpt2Dims(config: Record<string, number>): Gpt2Dims {
  const nHead = config.n_head as number;
  return {
    nLayer: config.n_layer as number,
    nHead,
    headDim: (config.n_embd as number) / nHead,
    vocabSize: config.vocab_size as number,
    maxContext: config.n_positions as number,
    eosTokenId: config.eos_token_id as number,
  };
}

/** Tokenizer functions (transformers.js's tokenizer in production, see `tokenizerAdapter.ts`). */
export interface Tokenizer {
  encode(text: string): number[];
  decode(tokens: number[]): string;
  /** Tokens a prompt opens with (`[CLS]` for BERT vocabularies; none for GPT-2). */
  promptPrefix?: readonly number[];
  /** The unknown token, for vocabularies that have one (WordPiece's `[UNK]`). */
  unkTokenId?: number;
  /**
   * Tokens that are not text and are never sampled: special tokens other
   * than end-of-text (`[CLS]`, `[PAD]`, `[MASK]`, `[UNK]`) and a BERT
   * vocabulary's `[unusedN]` placeholders. None for GPT-2.
   */
  bannedTokens?: readonly number[];
}

type Feeds = Record<string, ort.Tensor>;

/** Continuation tokens scored per forward pass (bounds the logits buffer to ~50 MB on GPT-2). */
export const SCORE_BATCH_TOKENS = 256;

const int64 = (values: number[] | BigInt64Array, dims: number[]) =>
  new ort.Tensor(
    'int64',
    values instanceof BigInt64Array ? values : BigInt64Array.from(values.map(BigInt)),
    dims,
  );

/**
 * GPT-2 sampling over an ONNX Runtime session with the standard KV-cache
 * interface. The prompt is run once (batch 1) and its KV cache is copied to
 * the `n` sequences, which then decode together as one batch.
 */
export class OrtGpt2Model implements TextModel {
  readonly maxContext: number;
  readonly eosTokenId: number;
  lastDecode: { stepMs: number; batch: number } | undefined;
  private readonly fits = new Map<Language, LanguageFit>();

  /** Real exports differ slightly: some lack `position_ids`, merged decoders add `use_cache_branch`. */
  private readonly feedsPositions: boolean;
  private readonly feedsCacheBranch: boolean;
  /** Whether `generate` keeps the cache in a {@link StridedKvCache} (else it carries `present.*`). */
  readonly stridedCache: boolean;

  /**
   * @param options.stridedCache - keep the decode cache in Muse's buffers
   *   (default: when the graph outputs `new.{i}.*` and takes `position_ids`,
   *   which a strided cache needs because a masked gap would shift positions
   *   a graph derives from the mask).
   */
  constructor(
    private readonly session: InferenceSession,
    private readonly tokenizer: Tokenizer,
    private readonly dims: Gpt2Dims,
    readonly info: ModelInfo,
    options: { stridedCache?: boolean } = {},
  ) {
    this.maxContext = dims.maxContext;
    this.eosTokenId = dims.eosTokenId;
    this.feedsPositions = session.inputNames.includes('position_ids');
    this.feedsCacheBranch = session.inputNames.includes('use_cache_branch');
    // A lifted merged decoder (model:optimize) still takes use_cache_branch, and ignores it.
    const supported =
      this.feedsPositions && session.outputNames.includes(newKeyValueName(0, 'key'));
    if (options.stridedCache && !supported) {
      throw new Error(
        'A strided cache needs a graph with position_ids and new.{i}.* outputs (npm run model:optimize adds them).',
      );
    }
    this.stridedCache = options.stridedCache ?? supported;
  }

  private run(
    feeds: Feeds,
    cached: boolean,
    fetches?: readonly string[],
  ): Promise<InferenceSession.ReturnType> {
    if (!this.feedsPositions) delete feeds.position_ids;
    if (this.feedsCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', [cached], [1]);
    return fetches ? this.session.run(feeds, fetches) : this.session.run(feeds);
  }

  dispose(): Promise<void> {
    return this.session.release();
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  encodePrompt(text: string): number[] {
    return [...(this.tokenizer.promptPrefix ?? []), ...this.tokenizer.encode(text)];
  }

  languageFit(language: Language): LanguageFit {
    let fit = this.fits.get(language);
    if (!fit) {
      fit = languageFit(this.tokenizer, language);
      this.fits.set(language, fit);
    }
    return fit;
  }

  decode(tokens: number[]): string {
    return this.tokenizer.decode(tokens);
  }

  private emptyPast(feeds: Feeds): void {
    const { nLayer, nHead, headDim } = this.dims;
    for (let i = 0; i < nLayer; i++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
          1,
          nHead,
          0,
          headDim,
        ]);
      }
    }
  }

  /** Copies a batch-1 KV cache to `n` rows. */
  private tilePast(outputs: InferenceSession.ReturnType, n: number, feeds: Feeds): void {
    for (let i = 0; i < this.dims.nLayer; i++) {
      for (const kind of ['key', 'value']) {
        const present = outputs[`present.${i}.${kind}`] as ort.Tensor;
        const data = present.data as Float32Array;
        const tiled = new Float32Array(data.length * n);
        for (let r = 0; r < n; r++) tiled.set(data, r * data.length);
        const [, h, t, d] = present.dims as number[];
        feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', tiled, [
          n,
          h as number,
          t as number,
          d as number,
        ]);
      }
    }
  }

  /** Runs the prompt once (batch 1, empty cache): its logits and KV cache. */
  private prefill(promptTokens: number[]): Promise<InferenceSession.ReturnType> {
    const P = promptTokens.length;
    const feeds: Feeds = {
      input_ids: int64(promptTokens, [1, P]),
      attention_mask: int64(new Array(P).fill(1), [1, P]),
      position_ids: int64(
        promptTokens.map((_, i) => i),
        [1, P],
      ),
    };
    this.emptyPast(feeds);
    return this.run(feeds, false);
  }

  /**
   * Scores continuations of one prompt. The prompt is prefilled once; its
   * KV cache is tiled to a batch of continuations, right-padded (padding
   * comes after every real token, so causal attention never sees it) and
   * run in one forward per batch of at most {@link SCORE_BATCH_TOKENS}
   * tokens, which bounds the logits buffer.
   *
   * @example
   * ```ts
   * const [lp] = await model.scoreContinuations(model.encode('Hi'), [model.encode(' there')]);
   * ```
   */
  async scoreContinuations(promptTokens: number[], continuations: number[][]): Promise<number[][]> {
    const P = promptTokens.length;
    if (P === 0) throw new RangeError('The prompt must contain at least one token.');
    const longest = Math.max(0, ...continuations.map((c) => c.length));
    if (P + longest > this.maxContext) {
      throw new RangeError(
        `Prompt (${P} tokens) + continuation (${longest}) exceeds the model's ${this.maxContext}-token context.`,
      );
    }
    const V = this.dims.vocabSize;
    const prompt = await this.prefill(promptTokens);
    const first = ((prompt.logits as ort.Tensor).data as Float32Array).subarray((P - 1) * V, P * V);
    const firstTokens = continuations.flatMap((c) => (c.length > 0 ? [c[0] as number] : []));
    const [firstScores = []] = await logProbs(first, V, [firstTokens]);
    let nextFirst = 0;
    const scores: number[][] = continuations.map((c) =>
      c.length > 0 ? [firstScores[nextFirst++] as number] : [],
    );
    // Continuations of one token need nothing beyond the prompt's logits.
    const rest = continuations.flatMap((c, index) => (c.length > 1 ? [index] : []));
    let start = 0;
    while (start < rest.length) {
      const L =
        Math.max(...rest.slice(start).map((i) => (continuations[i] as number[]).length)) - 1;
      const rows = Math.max(1, Math.floor(SCORE_BATCH_TOKENS / Math.max(1, L)));
      const batch = rest.slice(start, start + rows);
      start += batch.length;
      const width = Math.max(...batch.map((i) => (continuations[i] as number[]).length)) - 1;
      const ids: number[] = [];
      const mask: number[] = [];
      for (const i of batch) {
        const c = continuations[i] as number[];
        // Feed tokens 0..len-2; token j+1 is predicted at position j.
        for (let j = 0; j < width; j++)
          ids.push(j < c.length - 1 ? (c[j] as number) : this.dims.eosTokenId);
        for (let j = 0; j < P; j++) mask.push(1);
        for (let j = 0; j < width; j++) mask.push(j < c.length - 1 ? 1 : 0);
      }
      const feeds: Feeds = {
        input_ids: int64(ids, [batch.length, width]),
        attention_mask: int64(mask, [batch.length, P + width]),
        position_ids: int64(
          batch.flatMap(() => Array.from({ length: width }, (_, j) => P + j)),
          [batch.length, width],
        ),
      };
      this.tilePast(prompt, batch.length, feeds);
      const out = await this.run(feeds, true);
      // Position j of row r predicts token j + 1 (padding positions score a dummy token).
      const targets = batch.flatMap((i) => {
        const c = continuations[i] as number[];
        return Array.from({ length: width }, (_, j) => [
          j < c.length - 1 ? (c[j + 1] as number) : 0,
        ]);
      });
      const lps = await this.tokenLogProbs(
        (out.logits as ort.Tensor).data as Float32Array,
        targets,
      );
      batch.forEach((i, r) => {
        const c = continuations[i] as number[];
        const row = scores[i] as number[];
        for (let j = 0; j < c.length - 1; j++) row.push(lps[r * width + j]?.[0] as number);
      });
    }
    return scores;
  }

  /**
   * Log-probs of `targets[r]` under row `r` of `logits`: read off the rows
   * when the graph already outputs log-probabilities, else one call of the
   * log-prob head.
   */
  private async tokenLogProbs(logits: Float32Array, targets: number[][]): Promise<number[][]> {
    const V = this.dims.vocabSize;
    if (!this.dims.logitsAreLogProbs) return logProbs(logits, V, targets);
    return targets.map((row, r) => row.map((t) => logits[r * V + t] as number));
  }

  private carryPast(outputs: InferenceSession.ReturnType, feeds: Feeds): void {
    for (let i = 0; i < this.dims.nLayer; i++) {
      feeds[`past_key_values.${i}.key`] = outputs[`present.${i}.key`] as ort.Tensor;
      feeds[`past_key_values.${i}.value`] = outputs[`present.${i}.value`] as ort.Tensor;
    }
  }

  /**
   * Samples `n` continuations of `promptTokens`.
   *
   * @example
   * ```ts
   * const out = await model.generate(model.encode('Hello'), { n: 2, maxNewTokens: 20, temperature: 0.8, topK: 50, topP: 0.95, seed: 1 });
   * ```
   */
  async generate(promptTokens: number[], options: SamplingOptions): Promise<GenerationResult> {
    const { n, maxNewTokens } = options;
    const P = promptTokens.length;
    if (P === 0) throw new RangeError('The prompt must contain at least one token.');
    if (P + maxNewTokens > this.maxContext) {
      throw new RangeError(
        `Prompt (${P} tokens) + maxNewTokens (${maxNewTokens}) exceeds the model's ${this.maxContext}-token context.`,
      );
    }
    const V = this.dims.vocabSize;
    const banned = this.tokenizer.bannedTokens ?? [];
    const started = performance.now();
    const feeds: Feeds = {};
    let outputs = await this.prefill(promptTokens);
    const prefillMs = performance.now() - started;

    const rngs = Array.from({ length: n }, (_, r) => new SeededRandom(options.seed + r * 7919));
    const sequences: GeneratedSequence[] = Array.from({ length: n }, () => ({
      tokens: [],
      logprobs: [],
      finishReason: 'length' as const,
    }));
    const finished = new Array<boolean>(n).fill(false);
    const promptLogits = (outputs.logits as ort.Tensor).data as Float32Array;
    let rowLogits = (_row: number) => promptLogits.subarray((P - 1) * V, P * V);
    let stepLogits: Float32Array | undefined;
    const cache = this.stridedCache ? new StridedKvCache(this.dims, n, outputs, P) : undefined;
    if (!cache) this.tilePast(outputs, n, feeds);

    let steps = 0;
    let truncated = false;
    const clock = options.clock ?? Date.now;
    for (let step = 0; step < maxNewTokens; step++) {
      if (options.stopAt !== undefined && clock() >= options.stopAt) {
        truncated = true;
        for (let r = 0; r < n; r++) {
          if (!finished[r]) (sequences[r] as GeneratedSequence).finishReason = 'deadline';
        }
        break;
      }
      const next = new Array<number>(n).fill(this.dims.eosTokenId);
      for (let r = 0; r < n; r++) {
        if (finished[r]) continue;
        const logits = rowLogits(r);
        for (const t of banned) logits[t] = Number.NEGATIVE_INFINITY;
        const sampled = sampleToken(logits, options, rngs[r] as SeededRandom);
        const token = options.adjust
          ? options.adjust(r, (sequences[r] as GeneratedSequence).tokens, sampled)
          : sampled;
        if (token === this.dims.eosTokenId) {
          finished[r] = true;
          (sequences[r] as GeneratedSequence).finishReason = 'eos';
          continue;
        }
        next[r] = token;
      }
      // The sampled tokens' log-probs, all rows at once (step 0: every row samples from the
      // prompt's last position).
      const lps =
        step === 0
          ? ((await this.tokenLogProbs(rowLogits(0), [next]))[0] as number[])
          : (
              await this.tokenLogProbs(
                stepLogits as Float32Array,
                next.map((t) => [t]),
              )
            ).map((row) => row[0] as number);
      for (let r = 0; r < n; r++) {
        if (finished[r]) continue;
        const seq = sequences[r] as GeneratedSequence;
        const token = next[r] as number;
        const lp = lps[r] as number;
        seq.tokens.push(token);
        seq.logprobs.push(lp);
        options.onToken?.(r, token, lp);
      }
      steps = step + 1;
      if (finished.every(Boolean) || step === maxNewTokens - 1) break;
      const position = P + step;
      feeds.input_ids = int64(next, [n, 1]);
      feeds.position_ids = int64(new Array(n).fill(position), [n, 1]);
      if (cache) {
        cache.feed(feeds);
        outputs = await this.run(feeds, true, cache.fetches);
        cache.append(outputs);
      } else {
        feeds.attention_mask = int64(new Array(n * (position + 1)).fill(1), [n, position + 1]);
        outputs = await this.run(feeds, true);
        this.carryPast(outputs, feeds);
      }
      const logits = (outputs.logits as ort.Tensor).data as Float32Array;
      stepLogits = logits;
      rowLogits = (r: number) => logits.subarray(r * V, (r + 1) * V);
    }
    const decodeMs = performance.now() - started - prefillMs;
    if (steps > 0) this.lastDecode = { stepMs: decodeMs / steps, batch: n };
    return { sequences, promptTokens: P, prefillMs, decodeMs, steps, truncated };
  }
}
