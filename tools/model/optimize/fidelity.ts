/**
 * The fidelity gate of `npm run model:optimize`: how far the optimized
 * model's next-token distributions are from the source's, on a fixed text
 * set. The text is the source model's own continuations of fixed prompts
 * (seeded sampling at temperature 1), so the comparison runs where the
 * model actually goes; both models then score the same tokens (one full
 * forward each, no cache) and Muse compares, position by position, the
 * log-softmax of their logits.
 */
import type { InferenceSession } from 'onnxruntime-common';
import * as ort from 'onnxruntime-node';
import type { OrtGpt2Model } from '#lib/model/ortGpt2.ts';

/** What the gate measured. */
export interface Fidelity {
  /** Positions compared. */
  tokens: number;
  /** Mean KL(source ‖ optimized) of the next-token distribution, nats per token. */
  meanKl: number;
  /** Largest KL at one position. */
  maxKl: number;
  /** Share of positions where both models' most likely next token is the same. */
  top1: number;
  /**
   * The same over the decisive positions only: where the source's best token
   * leads its runner-up by at least {@link DECISIVE_MARGIN} nats. Where two
   * tokens are that close the source itself is indifferent between them, and
   * any rounding flips them (random-weight models are nearly flat everywhere).
   */
  top1Decisive: number;
  /** Decisive positions. */
  decisiveTokens: number;
}

/**
 * A source's top-1 is decisive when it leads by this many nats: 0.1 nats is
 * a 10 % ratio of probabilities, a preference temperature-1 sampling barely
 * acts on.
 */
export const DECISIVE_MARGIN = 0.1;

/** Fewest decisive positions the top-1 bound is judged on; with fewer, the gate is the KL bound alone. */
export const MIN_DECISIVE_TOKENS = 100;

/** True when `f` meets `bounds` (see {@link MIN_DECISIVE_TOKENS}). */
export function meetsBounds(f: Fidelity, bounds: FidelityBounds): boolean {
  const top1Ok = f.decisiveTokens < MIN_DECISIVE_TOKENS || f.top1Decisive >= bounds.minTop1;
  return f.meanKl <= bounds.maxMeanKl && top1Ok;
}

/** Bounds a published optimization must meet. */
export interface FidelityBounds {
  maxMeanKl: number;
  minTop1: number;
}

/**
 * Default bounds by bits. A mean KL of `d` nats/token raises the
 * cross-entropy on the source's own text by `d`, so its perplexity by at
 * most a factor e^d: 0.02 → ≤ 2 % for 8-bit, whose per-weight error
 * (~0.4 % of a block's range) should be invisible; 0.05 → ≤ 5 % for 4-bit,
 * about what 4-bit round-to-nearest costs small models in published
 * measurements. Top-1 agreement bounds how often greedy decoding would
 * change: 98 % for 8-bit, 90 % for 4-bit.
 */
export const DEFAULT_BOUNDS: Record<4 | 8, FidelityBounds> = {
  8: { maxMeanKl: 0.02, minTop1: 0.98 },
  4: { maxMeanKl: 0.05, minTop1: 0.9 },
};

/** Prompts of the fixed text set, by the language the tokenizer writes. */
export const FIDELITY_PROMPTS = {
  en: [
    'Our spring sale starts today',
    'Subject: Your order has shipped',
    'The new trail shoe is light and grippy',
    'Dear customer, thank you for your purchase',
    'Five reasons to switch to a reusable bottle',
    'Free shipping on every order this week',
    'How to pick the right running jacket',
    'We are sorry your parcel arrived late',
  ],
  zh: [
    '新品上市',
    '【短信】',
    '您好，您的订单已发货',
    '山野保温杯',
    '本周全场包邮',
    '我想买一个保温杯',
    '欢迎回来',
    '【商品描述】',
  ],
} as const;

/** Runs one full forward (empty cache) over `tokens`; the logits `[T, V]`. */
async function logitsOf(
  session: InferenceSession,
  tokens: number[],
  dims: { nLayer: number; nHead: number; headDim: number },
): Promise<Float32Array> {
  const T = tokens.length;
  const ids = (values: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, T]);
  const feeds: Record<string, ort.Tensor> = {
    input_ids: ids(tokens),
    attention_mask: ids(tokens.map(() => 1)),
  };
  if (session.inputNames.includes('position_ids'))
    feeds.position_ids = ids(tokens.map((_, i) => i));
  if (session.inputNames.includes('use_cache_branch'))
    feeds.use_cache_branch = new ort.Tensor('bool', [false], [1]);
  for (let i = 0; i < dims.nLayer; i++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        dims.nHead,
        0,
        dims.headDim,
      ]);
    }
  }
  const out = await session.run(feeds);
  return (out.logits as ort.Tensor).data as Float32Array;
}

/** log-softmax of one row, into `into`; returns its argmax and its lead over the runner-up (nats). */
function logSoftmax(row: Float32Array, into: Float64Array): { best: number; margin: number } {
  let max = Number.NEGATIVE_INFINITY;
  let second = Number.NEGATIVE_INFINITY;
  let best = 0;
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (v > max) {
      second = max;
      max = v;
      best = i;
    } else if (v > second) second = v;
  }
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp((row[i] as number) - max);
  const log = max + Math.log(sum);
  for (let i = 0; i < row.length; i++) into[i] = (row[i] as number) - log;
  return { best, margin: max - second };
}

/**
 * Measures the optimized session against the source model on the fixed
 * text set: `prompts.length` continuations of `tokensPerPrompt` tokens
 * sampled from `source` (seeds 0, 1, …).
 *
 * @example
 * ```ts
 * const f = await measureFidelity(sourceModel, sourceSession, optimizedSession, dims, { prompts: FIDELITY_PROMPTS.en, tokensPerPrompt: 250 });
 * ```
 */
export async function measureFidelity(
  source: OrtGpt2Model,
  sourceSession: InferenceSession,
  optimized: InferenceSession,
  dims: { nLayer: number; nHead: number; headDim: number; vocabSize: number },
  options: {
    prompts: readonly string[];
    tokensPerPrompt: number;
    onPrompt?: (done: number) => void;
  },
): Promise<Fidelity> {
  const V = dims.vocabSize;
  const p = new Float64Array(V);
  const q = new Float64Array(V);
  let tokens = 0;
  let klSum = 0;
  let maxKl = 0;
  let agree = 0;
  let decisive = 0;
  let decisiveAgree = 0;
  for (const [i, prompt] of options.prompts.entries()) {
    const promptTokens = source.encodePrompt(prompt);
    const room = Math.min(options.tokensPerPrompt, source.maxContext - promptTokens.length);
    const sampled = await source.generate(promptTokens, {
      n: 1,
      maxNewTokens: room,
      // Muse's own sampling (top-50): what the model is actually asked to produce.
      temperature: 1,
      topK: 50,
      topP: 1,
      seed: i,
    });
    const sequence = [...promptTokens, ...(sampled.sequences[0]?.tokens ?? [])];
    const [a, b] = await Promise.all([
      logitsOf(sourceSession, sequence, dims),
      logitsOf(optimized, sequence, dims),
    ]);
    // Positions that predict a continuation token (the last prompt position onwards).
    for (let t = promptTokens.length - 1; t < sequence.length - 1; t++) {
      const src = logSoftmax(a.subarray(t * V, (t + 1) * V), p);
      const opt = logSoftmax(b.subarray(t * V, (t + 1) * V), q);
      let kl = 0;
      for (let v = 0; v < V; v++) {
        const lp = p[v] as number;
        if (lp > -80) kl += Math.exp(lp) * (lp - (q[v] as number));
      }
      klSum += kl;
      maxKl = Math.max(maxKl, kl);
      if (src.best === opt.best) agree++;
      if (src.margin >= DECISIVE_MARGIN) {
        decisive++;
        if (src.best === opt.best) decisiveAgree++;
      }
      tokens++;
    }
    options.onPrompt?.(i + 1);
  }
  return {
    tokens,
    meanKl: klSum / Math.max(1, tokens),
    maxKl,
    top1: agree / Math.max(1, tokens),
    top1Decisive: decisive === 0 ? 1 : decisiveAgree / decisive,
    decisiveTokens: decisive,
  };
}
