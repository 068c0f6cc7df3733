/**
 * Generation within a function's timeout: a request is admitted only when
 * the model's measured decode speed can finish it before the deadline, and
 * decoding stops {@link DEADLINE_RESERVE_MS} before the deadline whatever
 * happens, so the function always answers.
 */
import { ValidationError } from '../errors.ts';
import type { SamplingOptions, TextModel } from './textModel.ts';

/** Time kept between the end of decoding and the function's timeout: scoring, registration, the response. */
export const DEADLINE_RESERVE_MS = 3_000;

/** When a call must be answered. */
export interface Deadline {
  /** When the function times out (epoch ms of `clock`). */
  deadline?: number;
  /** The clock the deadline is read on (default `Date.now`). */
  clock?: () => number;
}

/**
 * The sampling options that stop decoding in time (none without a
 * deadline), after refusing a request that cannot finish: at least
 * `maxNewTokens` decode steps, each no faster than the model's last
 * measured step (a bigger batch is never faster per step). The 400 names
 * the largest `maxNewTokens` that fits. Unknown speed (the first request of
 * a container) admits the request; the stop still ends it in time.
 *
 * @example
 * ```ts
 * const stop = decodeWithin(model, 128, { deadline: Date.now() + 60_000 });
 * await model.generate(tokens, { ...sampling, ...stop });
 * ```
 */
export function decodeWithin(
  model: Pick<TextModel, 'lastDecode'>,
  maxNewTokens: number,
  { deadline, clock = Date.now }: Deadline,
): Pick<SamplingOptions, 'stopAt' | 'clock'> {
  if (deadline === undefined) return {};
  const stopAt = deadline - DEADLINE_RESERVE_MS;
  const availableMs = stopAt - clock();
  const measured = model.lastDecode;
  if (measured && maxNewTokens * measured.stepMs > availableMs) {
    const neededMs = maxNewTokens * measured.stepMs;
    const fits = Math.max(0, Math.floor(availableMs / measured.stepMs));
    const message = `${maxNewTokens} new tokens need at least ${(neededMs / 1000).toFixed(1)} s at this model's measured ${measured.stepMs.toFixed(0)} ms per decode step (batch ${measured.batch}); ${(availableMs / 1000).toFixed(1)} s remain before the function's timeout: at most maxNewTokens ${fits}`;
    throw new ValidationError(`The request does not fit the time left: ${message}.`, {
      issues: [{ path: 'maxNewTokens', message: `at most ${fits} in the time left` }],
    });
  }
  return { stopAt, clock };
}
