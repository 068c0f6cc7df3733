import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { type ModelIdentity, modelIdentity, type TextModel } from '../model/textModel.ts';

/** Limits of the raw generate request. */
export const RAW_LIMITS = { promptChars: 2000, maxNewTokens: 256, n: 8 } as const;

/** `POST /generate` with a raw prompt. */
export const RawGenerateRequest = z.strictObject({
  prompt: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(RAW_LIMITS.promptChars, { error: `must be at most ${RAW_LIMITS.promptChars} characters` }),
  max_new_tokens: z.int().min(1).max(RAW_LIMITS.maxNewTokens).default(64),
  temperature: z.number().min(0).max(2).default(0.8),
  top_k: z.int().min(0).max(1000).default(50),
  top_p: z.number().gt(0).max(1).default(0.95),
  seed: z
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .optional(),
  n: z.int().min(1).max(RAW_LIMITS.n).default(1),
});

/** A validated raw request (defaults applied). */
export type RawGenerateRequest = z.output<typeof RawGenerateRequest>;

/** One generated variant. */
export interface RawVariant {
  text: string;
  tokens: number;
  finish_reason: 'eos' | 'length';
}

/** The raw generate response. */
export interface RawGenerateResponse extends ModelIdentity {
  variants: RawVariant[];
  seed: number;
  parameters: Omit<RawGenerateRequest, 'prompt' | 'seed'>;
  usage: { prompt_tokens: number; completion_tokens: number };
  timings: { load_ms: number; generate_ms: number; tokens_per_s: number };
}

/**
 * Samples `n` continuations of a raw prompt. The same prompt, parameters and
 * seed give the same text; without a seed one is drawn and returned.
 *
 * @example
 * ```ts
 * const out = await rawGenerate(model, RawGenerateRequest.parse({ prompt: 'Hello', seed: 1 }), 0);
 * ```
 */
export async function rawGenerate(
  model: TextModel,
  request: RawGenerateRequest,
  loadMs: number,
): Promise<RawGenerateResponse> {
  const promptTokens = model.encode(request.prompt);
  if (promptTokens.length + request.max_new_tokens > model.maxContext) {
    throw new ValidationError(
      `prompt (${promptTokens.length} tokens) + max_new_tokens (${request.max_new_tokens}) exceeds the model's ${model.maxContext}-token context; shorten the prompt or lower max_new_tokens.`,
      {
        issues: [
          {
            path: 'max_new_tokens',
            message: `at most ${model.maxContext - promptTokens.length} for this prompt`,
          },
        ],
      },
    );
  }
  const seed = request.seed ?? Math.floor(Math.random() * 2 ** 31);
  const started = performance.now();
  const result = await model.generate(promptTokens, {
    n: request.n,
    maxNewTokens: request.max_new_tokens,
    temperature: request.temperature,
    topK: request.top_k,
    topP: request.top_p,
    seed,
  });
  const generateMs = performance.now() - started;
  const completion = result.sequences.reduce((sum, s) => sum + s.tokens.length, 0);
  const { prompt: _prompt, seed: _seed, ...parameters } = request;
  return {
    variants: result.sequences.map((s) => ({
      text: model.decode(s.tokens),
      tokens: s.tokens.length,
      finish_reason: s.finishReason,
    })),
    seed,
    parameters,
    usage: { prompt_tokens: promptTokens.length, completion_tokens: completion },
    timings: {
      load_ms: Math.round(loadMs),
      generate_ms: Math.round(generateMs),
      tokens_per_s: generateMs > 0 ? Math.round((completion / generateMs) * 1000 * 10) / 10 : 0,
    },
    ...modelIdentity(model.info),
  };
}
