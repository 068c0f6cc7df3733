import { describe, expect, it } from 'vitest';
import {
  buildSignals,
  type ItemDay,
  SIGNAL_HALF_LIFE_DAYS,
  windowDays,
} from '#lib/insights/signals.ts';

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
    expect(signals.neighbours.a).toEqual([
      { itemId: 'c', sessions: 5, score: 1 + 4 * 0.5 },
      { itemId: 'b', sessions: 2, score: 2 },
    ]);
    expect(signals.neighbours.b).toEqual([{ itemId: 'a', sessions: 2, score: 2 }]);
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
