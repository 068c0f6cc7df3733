import type { Language, LanguageFit } from './language.ts';

/** Identity of the model in use; every response carries it. */
export interface ModelInfo {
  id: string;
  version: string;
  /** sha256 of the weights file (`onnx/model_quantized.onnx`). */
  sha256: string;
  /** True for Muse's own seeded random-weight models: their text is meaningless. */
  randomWeights: boolean;
  source: string;
}

/** The line every random-weight response carries. */
export const RANDOM_WEIGHTS_NOTICE =
  'This model has RANDOM weights (a Muse demo/test build): its text is meaningless. Publish a real GPT-2 (npm run model:fetch, npm run model:publish) for real copy.';

/** The model facts every model-backed response carries. */
export interface ModelIdentity {
  model: Pick<ModelInfo, 'id' | 'version' | 'sha256' | 'randomWeights'>;
  /** Present only for random weights: {@link RANDOM_WEIGHTS_NOTICE}. */
  notice?: string;
}

/**
 * The one builder of a response's model identity: which model answered, the
 * sha256 of its weights, whether they are random, and the notice that says
 * so, spread into every generate and recommend response.
 *
 * @example
 * ```ts
 * return { variants, ...modelIdentity(model.info) };
 * ```
 */
export function modelIdentity(info: ModelInfo): ModelIdentity {
  const { id, version, sha256, randomWeights } = info;
  return {
    model: { id, version, sha256, randomWeights },
    ...(randomWeights ? { notice: RANDOM_WEIGHTS_NOTICE } : {}),
  };
}

/** Sampling parameters for {@link TextModel.generate}. */
export interface SamplingOptions {
  /** Sequences to sample from the same prompt (they share one prefill). */
  n: number;
  maxNewTokens: number;
  /** 0 means greedy. */
  temperature: number;
  /** Keep the k most likely tokens; 0 disables. */
  topK: number;
  /** Nucleus sampling mass; 1 disables. */
  topP: number;
  /** Seed of the sampler: same prompt, parameters and seed → same tokens. */
  seed: number;
  /** Called for each new token of each sequence as it is produced, with its log-probability. */
  onToken?: (sequence: number, tokenId: number, logprob: number) => void;
  /**
   * Constrained decoding: given a sequence's tokens so far and the token the
   * sampler drew, returns the token it gets instead (the same one to leave
   * it free). A forced token's log-probability is still the model's.
   */
  adjust?: (sequence: number, tokens: readonly number[], sampled: number) => number;
  /** Stop decoding at this time (epoch ms of `clock`): unfinished sequences end with `deadline`. */
  stopAt?: number;
  /** The clock `stopAt` is read on (default `Date.now`; tests pass a fake one). */
  clock?: () => number;
}

/** One sampled continuation. */
export interface GeneratedSequence {
  tokens: number[];
  /** Log-probability of each token under the model's (untempered) distribution. */
  logprobs: number[];
  finishReason: 'eos' | 'length' | 'deadline';
}

/** What one {@link TextModel.generate} call produced, with timings. */
export interface GenerationResult {
  sequences: GeneratedSequence[];
  promptTokens: number;
  prefillMs: number;
  decodeMs: number;
  /** Decode steps run (the longest sequence's length). */
  steps: number;
  /** True when `stopAt` ended decoding before every sequence finished. */
  truncated: boolean;
}

/**
 * A causal language model: tokenizer plus sampling. Implemented over the
 * ONNX Runtime session that transformers.js loads; domain code depends on
 * this interface only.
 */
export interface TextModel {
  readonly info: ModelInfo;
  /** Longest context (prompt + new tokens) the model accepts. */
  readonly maxContext: number;
  /** The end-of-text token (a sequence that samples it stops). */
  readonly eosTokenId: number;
  /**
   * The last `generate` call's decode: milliseconds per step and the batch
   * it ran at (a step of a bigger batch takes at least as long); undefined
   * before the first call. What a deadline admits is estimated from it.
   */
  readonly lastDecode: { stepMs: number; batch: number } | undefined;
  /** Tokens of a text, without special tokens (continuations, phrases). */
  encode(text: string): number[];
  /** Tokens of a prompt: the text with the special tokens the tokenizer opens a text with (`[CLS]` for BERT vocabularies). */
  encodePrompt(text: string): number[];
  decode(tokens: number[]): string;
  /** How well the model's tokenizer writes `language` (measured once, on a probe sentence). */
  languageFit(language: Language): LanguageFit;
  generate(promptTokens: number[], options: SamplingOptions): Promise<GenerationResult>;
  /**
   * Log-probability of every token of each continuation given the prompt
   * (teacher forcing). The prompt is run once and its KV cache reused for
   * all continuations, which are scored together in batches.
   */
  scoreContinuations(promptTokens: number[], continuations: number[][]): Promise<number[][]>;
  /** Releases the runtime session (memory and threads); the model is unusable after. */
  dispose(): Promise<void>;
}
