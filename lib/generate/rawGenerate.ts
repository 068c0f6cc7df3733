import { z } from 'zod';
import { completeCharacters } from '../copy/quality.ts';
import { ValidationError } from '../errors.ts';
import { type Pricing, type RequestCost, requestCost } from '../model/cost.ts';
import { type Deadline, decodeWithin } from '../model/deadline.ts';
import { LANGUAGES } from '../model/language.ts';
import { samplingFields } from '../model/sampler.ts';
import { type ModelIdentity, modelIdentity, type TextModel } from '../model/textModel.ts';

/** Limits of the raw generate request. */
export const RAW_LIMITS = { promptChars: 2000, maxNewTokens: 256, n: 8 } as const;

/** `POST /generate` with a raw prompt. */
export const RawGenerateRequest = z.strictObject({
  prompt: z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(RAW_LIMITS.promptChars, { error: `must be at most ${RAW_LIMITS.promptChars} characters` }),
  maxNewTokens: z.int().min(1).max(RAW_LIMITS.maxNewTokens).default(64),
  ...samplingFields(0.8),
  n: z.int().min(1).max(RAW_LIMITS.n).default(1),
  /** Which language's model continues the prompt (`zh`: the Chinese model, see README). */
  language: z.enum(LANGUAGES, { error: `must be one of ${LANGUAGES.join(', ')}` }).default('en'),
  /** Stream each sequence's text as it is generated (NDJSON), then the result. */
  stream: z.boolean().default(false),
});

/** Streaming events of a raw generation, one JSON object per line. */
export type RawStreamEvent =
  | { event: 'start'; n: number; promptTokens: number; seed: number }
  /** New text of one sequence (complete characters only). */
  | { event: 'token'; sequence: number; text: string };

/** A validated raw request (defaults applied). */
export type RawGenerateRequest = z.output<typeof RawGenerateRequest>;

/** One generated variant. */
export interface RawVariant {
  text: string;
  tokens: number;
  finishReason: 'eos' | 'length' | 'deadline';
}

/** The raw generate response. */
export interface RawGenerateResponse extends ModelIdentity {
  variants: RawVariant[];
  seed: number;
  parameters: Omit<RawGenerateRequest, 'prompt' | 'seed' | 'stream'>;
  usage: { promptTokens: number; completionTokens: number };
  timings: { loadMs: number; generateMs: number; tokensPerSecond: number };
  /** Estimated compute cost of the call (generation plus the model load it waited for). */
  cost: RequestCost;
  /** True when decoding stopped early to answer before the function's timeout (`finishReason: deadline`). */
  truncated: boolean;
}

/**
 * Samples `n` continuations of a raw prompt. The same prompt, parameters and
 * seed give the same text; without a seed one is drawn and returned.
 *
 * @example
 * ```ts
 * const out = await rawGenerate(model, RawGenerateRequest.parse({ prompt: 'Hello', seed: 1 }), 0, cfg.pricing);
 * ```
 */
export async function rawGenerate(
  model: TextModel,
  request: RawGenerateRequest,
  loadMs: number,
  pricing: Pricing,
  onEvent?: (event: RawStreamEvent) => void,
  deadline: Deadline = {},
): Promise<RawGenerateResponse> {
  const started = performance.now();
  const promptTokens = model.encodePrompt(request.prompt);
  if (promptTokens.length + request.maxNewTokens > model.maxContext) {
    throw new ValidationError(
      `prompt (${promptTokens.length} tokens) + maxNewTokens (${request.maxNewTokens}) exceeds the model's ${model.maxContext}-token context; shorten the prompt or lower maxNewTokens.`,
      {
        issues: [
          {
            path: 'maxNewTokens',
            message: `at most ${model.maxContext - promptTokens.length} for this prompt`,
          },
        ],
      },
    );
  }
  const stop = decodeWithin(model, request.maxNewTokens, deadline);
  const seed = request.seed ?? Math.floor(Math.random() * 2 ** 31);
  onEvent?.({ event: 'start', n: request.n, promptTokens: promptTokens.length, seed });
  // Streamed: each sequence's decoded text so far, sent as deltas of complete characters.
  const tokens: number[][] = Array.from({ length: request.n }, () => []);
  const sent = new Array<string>(request.n).fill('');
  const onToken = (r: number, token: number) => {
    (tokens[r] as number[]).push(token);
    const text = completeCharacters(model.decode(tokens[r] as number[]));
    if (text.length > (sent[r] as string).length && text.startsWith(sent[r] as string)) {
      onEvent?.({ event: 'token', sequence: r, text: text.slice((sent[r] as string).length) });
      sent[r] = text;
    }
  };
  const genStarted = performance.now();
  const result = await model.generate(promptTokens, {
    n: request.n,
    maxNewTokens: request.maxNewTokens,
    temperature: request.temperature,
    topK: request.topK,
    topP: request.topP,
    seed,
    ...(onEvent ? { onToken } : {}),
    ...stop,
  });
  const generateMs = performance.now() - genStarted;
  const completion = result.sequences.reduce((sum, s) => sum + s.tokens.length, 0);
  const { prompt: _prompt, seed: _seed, stream: _stream, ...parameters } = request;
  return {
    variants: result.sequences.map((s) => ({
      text: completeCharacters(model.decode(s.tokens)),
      tokens: s.tokens.length,
      finishReason: s.finishReason,
    })),
    seed,
    parameters,
    usage: { promptTokens: promptTokens.length, completionTokens: completion },
    timings: {
      loadMs: Math.round(loadMs),
      generateMs: Math.round(generateMs),
      tokensPerSecond: generateMs > 0 ? Math.round((completion / generateMs) * 1000 * 10) / 10 : 0,
    },
    cost: requestCost(pricing, performance.now() - started + loadMs),
    truncated: result.truncated,
    ...modelIdentity(model.info),
  };
}
