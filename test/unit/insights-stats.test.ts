import { describe, expect, it } from 'vitest';
import {
  bestSlot,
  churnRisk,
  decay,
  declareWinner,
  engagementScore,
  histogramScorer,
  probabilityBest,
  quintileScores,
  recencyScore,
  segmentOf,
  wilson,
} from '#lib/insights/stats.ts';

describe('Wilson score interval', () => {
  it.each([
    [12, 100, 0.069994, 0.198121],
    [0, 10, 0, 0.277533],
    [10, 10, 0.722467, 1],
    [1, 2, 0.094531, 0.905469],
  ])('%i of %i → [%f, %f] (computed independently)', (k, n, low, high) => {
    const r = wilson(k, n);

    expect(r.low).toBeCloseTo(low, 5);
    expect(r.high).toBeCloseTo(high, 5);
    expect(r.rate).toBe(k / n);
  });

  it('has no rate and the interval [0, 1] with no trials, and caps successes at trials', () => {
    expect(wilson(0, 0)).toEqual({ successes: 0, trials: 0, rate: null, low: 0, high: 1 });
    expect(wilson(15, 10).rate).toBe(1);
  });
});

describe('probability best and the winner rule', () => {
  it('gives equal arms about equal chances, summing to 1', () => {
    const p = probabilityBest([
      { successes: 50, trials: 1000 },
      { successes: 50, trials: 1000 },
    ]);

    expect(p[0]).toBeCloseTo(0.5, 1);
    expect((p[0] ?? 0) + (p[1] ?? 0)).toBeCloseTo(1, 10);
  });

  it('matches the closed form for 30/1000 vs 50/1000 (P ≈ 0.990 that the second is better)', () => {
    // Normal approximation of the Beta posteriors: (0.05 − 0.03) / √(0.03·0.97/1000 + 0.05·0.95/1000) = 2.28 σ → 0.9887.
    const p = probabilityBest([
      { successes: 30, trials: 1000 },
      { successes: 50, trials: 1000 },
    ]);

    expect(p[1]).toBeGreaterThan(0.98);
    expect(p[1]).toBeLessThan(0.996);
  });

  it('is deterministic for the same counts', () => {
    const arms = [
      { successes: 7, trials: 90 },
      { successes: 9, trials: 80 },
    ];

    expect(probabilityBest(arms)).toEqual(probabilityBest(arms));
  });

  it('declares a winner only at ≥ 95 % with ≥ 300 trials on every arm', () => {
    const clear = [
      { successes: 30, trials: 1000 },
      { successes: 60, trials: 1000 },
    ];
    const thin = [
      { successes: 3, trials: 100 },
      { successes: 20, trials: 100 },
    ];
    const close = [
      { successes: 50, trials: 1000 },
      { successes: 55, trials: 1000 },
    ];

    expect(declareWinner(clear)).toBe(1);
    expect(declareWinner(thin)).toBeUndefined();
    expect(declareWinner(close)).toBeUndefined();
    expect(declareWinner([{ successes: 9, trials: 1000 }])).toBeUndefined();
  });
});

describe('RFM', () => {
  it('scores by quintile, higher is better', () => {
    expect(quintileScores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
  });

  it('scores ties alike at the middle of their group: a uniform population or one customer is 3', () => {
    expect(quintileScores([3, 3, 3])).toEqual([3, 3, 3]);
    expect(quintileScores([42])).toEqual([3]);
    expect(quintileScores([0, 0, 0, 0, 10])).toEqual([3, 3, 3, 3, 5]);
  });

  it('scores recency with fewer days as better', () => {
    expect(quintileScores([0, 10, 20, 30, 40], true)).toEqual([5, 4, 3, 2, 1]);
  });

  it('scores from a histogram as from the values it counts', () => {
    const values = [0, 0, 1, 1, 1, 2, 5, 5, 9];
    const counts = Array.from({ length: 10 }, (_, v) => values.filter((x) => x === v).length);

    expect(values.map(histogramScorer(counts))).toEqual(quintileScores(values));
    expect(values.map(histogramScorer(counts, true))).toEqual(quintileScores(values, true));
  });

  it.each([
    [0, 1, 5],
    [2, 2, 5],
    [3, 2, 4],
    [6, 2, 3],
    [12, 2, 2],
    [13, 2, 1],
    [20, 7, 3],
  ] as const)('R from %i days since last seen with a usual gap of %i → %i', (days, gap, r) => {
    expect(recencyScore(days, gap)).toBe(r);
  });

  it.each([
    [5, 5, 3, 200, 'champions'],
    [5, 5, 2, 200, 'potential'],
    [2, 5, 2, 200, 'at_risk'],
    [1, 3, 1, 200, 'lost'],
    [3, 4, 3, 200, 'loyal'],
    [5, 1, 0, 10, 'new'],
    [5, 1, 0, 20, 'potential'],
    [3, 1, 0, 200, 'potential'],
    [2, 2, 1, 200, 'hibernating'],
    [1, 1, 0, 200, 'lost'],
  ] as const)(
    'R%i F%i with %i purchase days, first seen %i days ago → %s',
    (r, f, purchaseDays, ageDays, segment) => {
      expect(segmentOf({ r, f, purchaseDays, ageDays })).toBe(segment);
    },
  );
});

describe('engagement, churn and send time', () => {
  it('halves a counter every 14 days', () => {
    expect(decay(0)).toBe(1);
    expect(decay(14)).toBe(0.5);
    expect(decay(28)).toBe(0.25);
  });

  it('scores on a log scale: none 0, one open 11, one purchase 39, 100 only from 500 decayed points', () => {
    expect(engagementScore(0)).toBe(0);
    expect(engagementScore(1)).toBe(11);
    expect(engagementScore(10)).toBe(39);
    expect(engagementScore(100)).toBe(74);
    expect(engagementScore(499)).toBe(100);
    expect(engagementScore(400)).toBe(96);
    expect(engagementScore(1e200)).toBe(100);
  });

  it.each([
    [3, 2, 'low'],
    [5, 2, 'medium'],
    [6, 2, 'medium'],
    [7, 2, 'high'],
    [1, 0, 'low'],
  ] as const)('%i days since last with a usual gap of %i → %s', (since, gap, risk) => {
    expect(churnRisk(since, gap)).toBe(risk);
  });

  it('picks the busiest hour, earliest on ties, none without activity', () => {
    const hours = new Array(24).fill(0);
    hours[9] = 4;
    hours[20] = 4;
    hours[13] = 1;

    expect(bestSlot(hours)).toBe(9);
    expect(bestSlot(new Array(24).fill(0))).toBeUndefined();
  });
});
