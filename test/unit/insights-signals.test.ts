import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildSignals,
  type ItemDay,
  itemItemNeighbours,
  SIGNAL_HALF_LIFE_DAYS,
  SIGNAL_MODEL_LAMBDA,
  windowDays,
} from '#lib/insights/signals.ts';
import { fitEase } from '#lib/recommend/ease.ts';

const counts = (views: number, carts = 0, purchases = 0) => ({ views, carts, purchases });
const CATEGORIES: Record<string, string> = {
  a: 'Outdoor',
  b: 'Outdoor',
  c: 'Kitchen',
  d: 'Kitchen',
};

describe('buildSignals', () => {
  const day = '2026-11-22';
  const fourteenDaysAgo = '2026-11-08';

  it('weights co-visits by age (half-life 14 days) and lists neighbours both ways, best first', () => {
    const days: ItemDay[] = [
      { day, items: {}, coVisits: { 'a|b': 2, 'a|c': 1 } },
      { day: fourteenDaysAgo as string, items: {}, coVisits: { 'a|c': 4 } },
    ];

    const signals = buildSignals(day, days, (id) => CATEGORIES[id]);

    expect(windowDays(day).slice(-15, -13)).toEqual(['2026-11-08', '2026-11-09']);
    expect(SIGNAL_HALF_LIFE_DAYS).toBe(14);
    // No session counts (no item activity): every pair weighs G_ij / (G_jj + λ).
    const w = (score: number) => score / SIGNAL_MODEL_LAMBDA;
    expect(signals.neighbours.a).toEqual([
      { itemId: 'c', sessions: 5, score: 1 + 4 * 0.5, weight: w(1 + 4 * 0.5) },
      { itemId: 'b', sessions: 2, score: 2, weight: w(2) },
    ]);
    expect(signals.neighbours.b).toEqual([{ itemId: 'a', sessions: 2, score: 2, weight: w(2) }]);
    expect(signals.daysWithData).toBe(2);
  });

  it('scores popularity as weighted interactions (view 1, cart 3, purchase 5), per catalog category', () => {
    const days: ItemDay[] = [
      {
        day,
        items: { a: counts(1), b: counts(0, 1, 1), c: counts(2), x: counts(50) },
        coVisits: {},
      },
    ];

    const signals = buildSignals(day, days, (id) => CATEGORIES[id]);

    expect(signals.popular.map((p) => [p.itemId, p.score])).toEqual([
      ['x', 50],
      ['b', 8],
      ['c', 2],
      ['a', 1],
    ]);
    expect(signals.popularByCategory).toEqual({
      Outdoor: [
        { itemId: 'b', score: 8 },
        { itemId: 'a', score: 1 },
      ],
      Kitchen: [{ itemId: 'c', score: 2 }],
    }); // x is not in the catalog: popular overall, in no category
  });

  it('carries every active item’s popularity beyond the top lists', () => {
    const items = Object.fromEntries(
      Array.from({ length: 45 }, (_, i) => [`i${i}`, counts(i + 1)]),
    );
    const signals = buildSignals(day, [{ day, items, coVisits: {} }], () => undefined);

    expect(signals.popular).toHaveLength(20);
    expect(Object.keys(signals.popularity ?? {})).toHaveLength(45);
    expect(signals.popularity?.i0).toBe(1);
    expect(signals.popularity?.i44).toBe(45);
  });

  it('trends an item whose last 7 days beat its baseline, with lift (recent + 1) / (baseline + 1)', () => {
    const window = windowDays(day);
    const recent: ItemDay['items'] = { hot: counts(7), steady: counts(2) };
    const before: ItemDay['items'] = { steady: counts(2), old: counts(9) };
    const days: ItemDay[] = window.map((d, i) => ({
      day: d,
      items: i >= 21 ? recent : before,
      coVisits: {},
    }));
    days.push({ day: '2026-01-01', items: { ignored: counts(999) }, coVisits: {} });

    const signals = buildSignals(day, days, () => undefined);

    expect(signals.trending).toEqual([
      { itemId: 'hot', recentPerDay: 7, baselinePerDay: 0, lift: 8 },
    ]);
    expect(signals.daysWithData).toBe(28);
    expect(signals.popular.some((p) => p.itemId === 'ignored')).toBe(false);
  });

  it('keeps an item with too few recent interactions out of trending', () => {
    const signals = buildSignals(
      day,
      [{ day, items: { rare: counts(4) }, coVisits: {} }],
      () => undefined,
    );

    expect(signals.trending).toEqual([]);
  });
});

describe('the nightly item-item model', () => {
  /** Sessions as the map counts them: each pair once, each item once per session. */
  const gramOf = (sessions: string[][]) => {
    const pairs = new Map<string, { sessions: number; score: number }>();
    const occurrences = new Map<string, number>();
    for (const session of sessions) {
      const items = [...new Set(session)];
      for (const a of items) occurrences.set(a, (occurrences.get(a) ?? 0) + 1);
      for (const [i, a] of items.entries())
        for (const b of items.slice(i + 1)) {
          const key = a < b ? `${a}|${b}` : `${b}|${a}`;
          const p = pairs.get(key) ?? { sessions: 0, score: 0 };
          p.sessions++;
          p.score++;
          pairs.set(key, p);
        }
    }
    return { pairs, occurrences };
  };
  const sessionsArb = fc.array(
    fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 4 }),
    { minLength: 1, maxLength: 30 },
  );

  it('is EASE on the sessions: each neighbour weighs B_ij of EASE fitted to the same baskets', () => {
    fc.assert(
      fc.property(
        sessionsArb,
        fc.double({ min: 0.5, max: 50, noNaN: true }),
        (sessions, lambda) => {
          const { pairs, occurrences } = gramOf(sessions);
          const neighbours = itemItemNeighbours(pairs, occurrences, lambda);
          const ease = fitEase(sessions, lambda);
          const n = ease.items.length;
          for (const [i, from] of ease.items.entries()) {
            const expected = ease.items
              .map((to, j) => ({ to, w: ease.weights[i * n + j] as number }))
              .filter((x) => x.w > 0)
              .sort((x, y) => y.w - x.w || x.to.localeCompare(y.to));
            const got = neighbours[from] ?? [];
            expect(got.map((x) => x.itemId)).toEqual(expected.map((x) => x.to));
            for (const [k, x] of got.entries())
              expect(x.weight).toBeCloseTo(expected[k]?.w ?? 0, 9);
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('does not depend on the order pairs and items arrive in', () => {
    fc.assert(
      fc.property(sessionsArb, (sessions) => {
        const { pairs, occurrences } = gramOf(sessions);
        const reversed = itemItemNeighbours(
          new Map([...pairs].reverse()),
          new Map([...occurrences].reverse()),
        );
        expect(reversed).toEqual(itemItemNeighbours(pairs, occurrences));
      }),
    );
  });

  it('fits the most active items only; a pair with an item left out weighs G_ij / (G_jj + λ)', () => {
    const { pairs, occurrences } = gramOf([['a', 'b'], ['a', 'b'], ['a', 'b', 'rare'], ['a']]);
    const lambda = 2;

    const neighbours = itemItemNeighbours(pairs, occurrences, lambda, 2);

    // a (4 sessions) and b (3) are modelled; rare (1) is not.
    const ease = fitEase([['a', 'b'], ['a', 'b'], ['a', 'b'], ['a']], lambda);
    expect(neighbours.a?.find((x) => x.itemId === 'b')?.weight).toBeCloseTo(
      ease.weights[1] as number,
      12,
    );
    expect(neighbours.a?.find((x) => x.itemId === 'rare')).toEqual({
      itemId: 'rare',
      sessions: 1,
      score: 1,
      weight: 1 / (1 + lambda),
    });
    expect(neighbours.rare?.find((x) => x.itemId === 'a')?.weight).toBe(1 / (4 + lambda));
  });

  it('keeps an item id like __proto__ as data', () => {
    const { pairs, occurrences } = gramOf([
      ['__proto__', 'constructor'],
      ['__proto__', 'constructor'],
    ]);
    const neighbours = itemItemNeighbours(pairs, occurrences, 1);
    expect(Object.hasOwn(neighbours, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(neighbours, '__proto__')?.value).toEqual([
      expect.objectContaining({ itemId: 'constructor' }),
    ]);
  });
});
