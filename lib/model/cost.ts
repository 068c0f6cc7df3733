/**
 * What a model-backed request cost: the function's memory × its wall time ×
 * the price of a GB-second (request charges and data transfer are not
 * included). Every model-backed response carries one.
 */

/** The price of compute where the function runs. */
export interface Pricing {
  /** USD per GB-second (`MUSE_LAMBDA_GB_SECOND_USD`, default arm64). */
  gbSecondUsd: number;
  /** The function's memory (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`). */
  memoryMb: number;
}

/** The estimated cost of one request. */
export interface RequestCost {
  usd: number;
  gbSeconds: number;
  memoryMb: number;
  usdPerGbSecond: number;
}

/**
 * The cost of `ms` of wall time (the request's, plus the model load it
 * waited for) at `pricing`.
 *
 * @example
 * ```ts
 * requestCost({ gbSecondUsd: 0.0000133334, memoryMb: 3008 }, 1500); // { usd: 0.0000588, … }
 * ```
 */
export function requestCost(pricing: Pricing, ms: number): RequestCost {
  const gbSeconds = (pricing.memoryMb / 1024) * (ms / 1000);
  return {
    usd: Number((gbSeconds * pricing.gbSecondUsd).toPrecision(3)),
    gbSeconds: Number(gbSeconds.toFixed(4)),
    memoryMb: pricing.memoryMb,
    usdPerGbSecond: pricing.gbSecondUsd,
  };
}
