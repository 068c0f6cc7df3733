/**
 * The statistics behind customer insight and campaign learning, as pure
 * functions with documented rules (each has known-answer tests).
 */
import type { EventType } from '../events/schema.ts';
import { SeededRandom } from '../random.ts';

/** A rate with its sample size and 95 % Wilson score interval. */
export interface Rate {
  successes: number;
  trials: number;
  /** successes / trials; null when there are no trials (no rate is claimed from n = 0). */
  rate: number | null;
  low: number;
  high: number;
}

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/**
 * The rate `successes / trials` with its 95 % Wilson score interval, which,
 * unlike the normal approximation, stays inside [0, 1] and is honest for
 * small samples (0 trials → no rate, interval [0, 1]). Successes above trials (several clicks
 * per open) are capped at trials.
 *
 * @example
 * ```ts
 * wilson(12, 100); // { rate: 0.12, low: 0.0700, high: 0.1984, … }
 * ```
 */
export function wilson(successes: number, trials: number): Rate {
  const k = Math.min(successes, trials);
  if (trials <= 0) return { successes: k, trials: 0, rate: null, low: 0, high: 1 };
  const p = k / trials;
  const z2 = Z95 * Z95;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (Z95 * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / denominator;
  return {
    successes: k,
    trials,
    rate: p,
    low: Math.max(0, centre - half),
    high: Math.min(1, centre + half),
  };
}

/** A Gamma(shape, 1) sample (Marsaglia–Tsang; boosted for shape < 1). */
function gamma(shape: number, rng: SeededRandom): number {
  if (shape < 1) return gamma(shape + 1, rng) * (1 - rng.next()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** Posterior draws per call of {@link probabilityBest}. */
export const POSTERIOR_DRAWS = 20_000;

/**
 * The probability that each arm has the highest true rate, under independent
 * Beta(1 + successes, 1 + failures) posteriors (uniform prior), by Monte
 * Carlo with a fixed seed, so the same counts always give the same answer.
 *
 * @example
 * ```ts
 * probabilityBest([{ successes: 30, trials: 1000 }, { successes: 50, trials: 1000 }]); // ≈ [0.01, 0.99]
 * ```
 */
export function probabilityBest(
  arms: ReadonlyArray<{ successes: number; trials: number }>,
  draws = POSTERIOR_DRAWS,
  seed = 1,
): number[] {
  if (arms.length === 0) return [];
  const rng = new SeededRandom(seed);
  const wins = new Array<number>(arms.length).fill(0);
  for (let d = 0; d < draws; d++) {
    let best = 0;
    let bestValue = -1;
    arms.forEach((arm, i) => {
      const k = Math.min(arm.successes, arm.trials);
      const a = gamma(1 + k, rng);
      const b = gamma(1 + arm.trials - k, rng);
      const value = a / (a + b);
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    });
    wins[best] = (wins[best] ?? 0) + 1;
  }
  return wins.map((w) => w / draws);
}

/** The winner rule's thresholds. */
export const WINNER_RULE = {
  /** Posterior probability of being best. */
  minProbability: 0.95,
  /** Trials every arm needs before any winner is declared. */
  minTrialsPerArm: 300,
} as const;

/**
 * Index of the declared winner, or undefined: an arm wins only when its
 * probability of being best is ≥ 95 % and every arm has at least 300 trials.
 */
export function declareWinner(
  arms: ReadonlyArray<{ successes: number; trials: number }>,
  probabilities: readonly number[] = probabilityBest(arms),
): number | undefined {
  if (arms.length < 2 || arms.some((a) => a.trials < WINNER_RULE.minTrialsPerArm)) return undefined;
  const best = probabilities.indexOf(Math.max(...probabilities));
  return (probabilities[best] ?? 0) >= WINNER_RULE.minProbability ? best : undefined;
}

/**
 * Scores values 1–5 by quintile over the population, by mid-rank: a value's
 * position is (share of the population strictly worse + half the share equal
 * to it), and its score is 1 + ⌊5 × position⌋. Ties score alike, at the middle
 * of their group: a population of equal values (or of one customer) scores 3,
 * never an arbitrary extreme. With `lowerIsBetter` (recency in days) fewer is
 * better.
 */
export function quintileScores(values: readonly number[], lowerIsBetter = false): number[] {
  const counts: number[] = [];
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return values.map(
    histogramScorer(
      Array.from(counts, (c) => c ?? 0),
      lowerIsBetter,
    ),
  );
}

/**
 * A scorer of bucket indexes against a population given as a histogram
 * (`counts[b]` = customers in bucket `b`), by the mid-rank rule of
 * {@link quintileScores}. Histograms merge by addition, so shards can count
 * their customers apart and the scores are the same as over the whole base.
 */
export function histogramScorer(
  counts: readonly number[],
  lowerIsBetter = false,
): (bucket: number) => number {
  const below: number[] = [];
  let n = 0;
  for (const c of counts) {
    below.push(n);
    n += c;
  }
  return (bucket) => {
    if (n === 0) return 3;
    const b = Math.max(0, Math.min(bucket, counts.length));
    const under = below[b] ?? n;
    const equal = counts[b] ?? 0;
    const worse = lowerIsBetter ? n - under - equal : under;
    return Math.min(5, 1 + Math.floor((5 * (worse + equal / 2)) / n));
  };
}

/** Beyond this many days since last seen a customer is out of the base (and scores R = 1 long before). */
export const MAX_RECENCY_DAYS = 400;
/**
 * Upper bounds of recency / usual gap for R = 5, 4, 3, 2 (beyond → 1): the
 * same ratios churn risk uses (≤ 1.5 low, ≤ 3 medium), so a segment never
 * contradicts the churn risk beside it.
 */
export const RECENCY_RATIOS = [1, 1.5, 3, 6] as const;

/**
 * The R score (1–5) from days since last seen against the customer's own
 * usual gap between active days: a weekly shopper seen 5 days ago is as
 * current as a daily one seen today. Not a quintile of the base: on a base
 * where everyone came back this week, ties would otherwise score someone
 * seen two days ago R = 2 ("at risk").
 */
export function recencyScore(recencyDays: number, usualGapDays: number): number {
  const ratio = recencyDays / Math.max(1, usualGapDays);
  const band = RECENCY_RATIOS.findIndex((bound) => ratio <= bound);
  return band === -1 ? 1 : 5 - band;
}

/** The RFM bucket of an amount: a log scale with 10 buckets per doubling (≈ 7 % wide), so a histogram stays small for any currency. */
export const moneyBucket = (amount: number) => Math.floor(10 * Math.log2(1 + Math.max(0, amount)));

/** RFM segments, best first (the order reports list them in). */
export const SEGMENTS = [
  'champions',
  'loyal',
  'potential',
  'new',
  'at_risk',
  'hibernating',
  'lost',
] as const;

/** An RFM segment. */
export type Segment = (typeof SEGMENTS)[number];

/** Segments a win-back campaign targets. */
export const WINBACK_SEGMENTS: ReadonlySet<Segment> = new Set(['at_risk', 'hibernating', 'lost']);

/**
 * Minimum distinct purchase days (in 90) a segment needs besides its scores:
 * quintiles over a base where most customers bought nothing would otherwise
 * give a single purchase a top F score and make its buyer a champion.
 */
export const SEGMENT_MIN_PURCHASE_DAYS = { champions: 3, loyal: 3, at_risk: 2 } as const;
/** First seen this many days ago or less: a customer counts as new (when no better segment fits). */
export const NEW_CUSTOMER_DAYS = 14;

/** What {@link segmentOf} looks at. */
export interface SegmentInput {
  /** Recency and frequency scores, 1–5. */
  r: number;
  f: number;
  /** Distinct purchase days in the last 90 days. */
  purchaseDays: number;
  /** Days since first seen. */
  ageDays: number;
}

/**
 * The RFM segment, first match wins: champions R≥4 F≥4 (≥ 3 purchase days);
 * at_risk R≤2 F≥3 (≥ 2 purchase days); loyal F≥4 (≥ 3 purchase days); new
 * first seen ≤ 14 days ago with R≥3; potential R≥3; hibernating R=2; lost
 * otherwise (R=1).
 */
export function segmentOf({ r, f, purchaseDays, ageDays }: SegmentInput): Segment {
  const min = SEGMENT_MIN_PURCHASE_DAYS;
  if (r >= 4 && f >= 4 && purchaseDays >= min.champions) return 'champions';
  if (r <= 2 && f >= 3 && purchaseDays >= min.at_risk) return 'at_risk';
  if (f >= 4 && purchaseDays >= min.loyal) return 'loyal';
  if (r >= 3 && ageDays <= NEW_CUSTOMER_DAYS) return 'new';
  if (r >= 3) return 'potential';
  if (r === 2) return 'hibernating';
  return 'lost';
}

/** Half-life of the engagement score, in days. */
export const ENGAGEMENT_HALF_LIFE_DAYS = 14;
/** Weight of each event type in the engagement score (others count 0). */
export const ENGAGEMENT_WEIGHTS: Partial<Record<EventType, number>> = {
  open: 1,
  click: 3,
  view: 1,
  add_to_cart: 4,
  purchase: 10,
};
/** Decayed weight at which the score reaches 100 (the scale's top). */
export const ENGAGEMENT_FULL_WEIGHT = 500;

/** How much a decayed counter keeps after `days` (half-life {@link ENGAGEMENT_HALF_LIFE_DAYS}). */
export function decay(days: number): number {
  return 0.5 ** (days / ENGAGEMENT_HALF_LIFE_DAYS);
}

/**
 * Engagement 0–100 from a decayed weighted activity sum `e` (each event adds
 * its {@link ENGAGEMENT_WEIGHTS} weight, halving every 14 days), on a log
 * scale so it keeps ranking heavy users apart instead of saturating:
 * 100 × ln(1 + e) / ln(1 + 500), capped at 100. No activity → 0; one open
 * today → 11; one purchase today → 39; a purchase every day for a month → 96.
 */
export function engagementScore(decayedWeight: number): number {
  const e = Math.max(0, decayedWeight);
  return Math.min(100, Math.round((100 * Math.log1p(e)) / Math.log1p(ENGAGEMENT_FULL_WEIGHT)));
}

/** Churn risk levels. */
export type ChurnRisk = 'low' | 'medium' | 'high';

/**
 * Churn risk from the days since the customer was last active against their
 * own usual gap between active days: ≤ 1.5× usual → low, ≤ 3× → medium,
 * beyond → high. Customers with one active day have no usual gap of their
 * own; the caller passes the population's median gap instead.
 */
export function churnRisk(daysSinceLast: number, usualGapDays: number): ChurnRisk {
  const usual = Math.max(1, usualGapDays);
  if (daysSinceLast <= 1.5 * usual) return 'low';
  if (daysSinceLast <= 3 * usual) return 'medium';
  return 'high';
}

/** Opens and clicks (in 90 days) a best send time needs: fewer say nothing about a habit. */
export const MIN_SEND_TIME_SAMPLE = 5;

/** Index of the largest count (earliest on ties), or undefined when all are 0. */
export function bestSlot(counts: readonly number[]): number | undefined {
  let best: number | undefined;
  counts.forEach((c, i) => {
    if (c > 0 && (best === undefined || c > (counts[best] as number))) best = i;
  });
  return best;
}
