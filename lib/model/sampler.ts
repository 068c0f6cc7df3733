import { z } from 'zod';
import type { SeededRandom } from '../random.ts';
import { topIndices } from '../topK.ts';

/**
 * The sampling fields of every generating request (raw and copy), one
 * schema: `temperature` (0 = greedy), `topK` (0 = off), `topP` (1 = off)
 * and an optional `seed` (the same seed, request and model give the same
 * text). Each request picks its default temperature.
 *
 * @example
 * ```ts
 * const Request = z.strictObject({ prompt: z.string(), ...samplingFields(0.8) });
 * ```
 */
export function samplingFields(defaultTemperature: number) {
  return {
    temperature: z.number().min(0).max(2).default(defaultTemperature),
    topK: z.int().min(0).max(1000).default(50),
    topP: z.number().gt(0).max(1).default(0.95),
    seed: z
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
  };
}

/** Parameters of {@link sampleToken}. */
export interface SampleParams {
  temperature: number;
  topK: number;
  topP: number;
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++)
    if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/**
 * Picks the next token from one row of logits: greedy at temperature 0,
 * otherwise temperature-scaled sampling restricted to the top-k tokens and
 * then to the smallest set whose probability reaches top-p. Deterministic
 * for a given RNG state.
 */
export function sampleToken(logits: Float32Array, params: SampleParams, rng: SeededRandom): number {
  if (params.temperature <= 0) return argmax(logits);
  const k = params.topK > 0 ? Math.min(params.topK, logits.length) : logits.length;
  const candidates =
    k < logits.length
      ? topIndices(logits, k)
      : Array.from(logits.keys()).sort((a, b) => (logits[b] as number) - (logits[a] as number));
  const top = logits[candidates[0] as number] as number;
  const weights = candidates.map((i) =>
    Math.exp(((logits[i] as number) - top) / params.temperature),
  );
  const total = weights.reduce((s, w) => s + w, 0);
  let keep = candidates.length;
  if (params.topP < 1) {
    let mass = 0;
    for (let i = 0; i < candidates.length; i++) {
      mass += (weights[i] as number) / total;
      if (mass >= params.topP) {
        keep = i + 1;
        break;
      }
    }
  }
  const kept = weights.slice(0, keep).reduce((s, w) => s + w, 0);
  let r = rng.next() * kept;
  for (let i = 0; i < keep; i++) {
    r -= weights[i] as number;
    if (r < 0) return candidates[i] as number;
  }
  return candidates[keep - 1] as number;
}
