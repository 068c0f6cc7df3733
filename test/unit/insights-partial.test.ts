import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EngagementEvent } from '#lib/events/schema.ts';
import { emptyBase } from '#lib/insights/base.ts';
import {
  DayMapper,
  emptyPartial,
  emptySummary,
  mapEvents,
  mergeInto,
  mergePartials,
  mergeSummaryInto,
  summarizePartial,
} from '#lib/insights/partial.ts';
import { buildReport } from '#lib/insights/report.ts';
import { itemDayOf } from '#lib/insights/signals.ts';
import { SeededRandom } from '#lib/random.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';

const options: SeedOptions = {
  customers: 120,
  days: 3,
  events: 4000,
  seed: 3,
  end: new Date('2026-11-23T00:00:00Z'),
};
const events = [...demoEvents(buildWorld(options), options)];

/** Splits events into `k` customer-complete groups at random (as shards are). */
function splitByCustomer(
  all: EngagementEvent[],
  k: number,
  rng: SeededRandom,
): EngagementEvent[][] {
  const group = new Map<string, number>();
  const groups: EngagementEvent[][] = Array.from({ length: k }, () => []);
  for (const e of all) {
    if (!group.has(e.customerId)) group.set(e.customerId, Math.floor(rng.next() * k));
    groups[group.get(e.customerId) as number]?.push(e);
  }
  return groups;
}

function shuffle<T>(items: T[], rng: SeededRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('map/merge of a day’s events', () => {
  it('merging the maps of random customer splits, in random order (pure or in place), equals mapping everything', () => {
    const whole = mapEvents(events);
    for (let trial = 0; trial < 20; trial++) {
      const rng = new SeededRandom(trial);
      const parts = shuffle(splitByCustomer(events, 2 + (trial % 7), rng), rng).map((g) =>
        mapEvents(g),
      );

      const merged = parts.reduce(mergePartials, emptyPartial());
      const inPlace = parts.reduce(mergeInto, emptyPartial());

      expect(merged).toEqual(whole);
      expect(inPlace).toEqual(whole);
    }
  });

  it('writes byte-identical report and item-day JSON whatever order the shards merged in', () => {
    const day = '2026-11-22';
    const written = (seed: number) => {
      const rng = new SeededRandom(seed);
      const parts = shuffle(splitByCustomer(events, 8, rng), rng).map((g) => mapEvents(g));
      // Each shard summarised on its own, as its task does, then merged in a random order.
      const summary = parts
        .map((p) => summarizePartial(p))
        .reduce(mergeSummaryInto, emptySummary());
      const context = { currency: 'USD', titles: new Map(), variantCopy: new Map() };
      const report = buildReport(day, summary, emptyBase(day).counts, [], context);
      return JSON.stringify([report, itemDayOf(day, summary)]);
    };
    const first = written(1);
    for (let seed = 2; seed < 8; seed++) expect(written(seed)).toBe(first);
  });

  it('is commutative and associative on random partials, with the empty partial as identity', () => {
    const rng = new SeededRandom(99);
    const [a, b, c] = splitByCustomer(events, 3, rng).map((g) => mapEvents(g)) as [
      ReturnType<typeof mapEvents>,
      ReturnType<typeof mapEvents>,
      ReturnType<typeof mapEvents>,
    ];

    expect(mergePartials(a, b)).toEqual(mergePartials(b, a));
    expect(mergePartials(mergePartials(a, b), c)).toEqual(mergePartials(a, mergePartials(b, c)));
    expect(mergePartials(a, emptyPartial())).toEqual(a);
  });

  it('counts a known day exactly: funnel per variant, revenue in cents, send hours, co-visits', () => {
    const e = (
      n: number,
      type: EngagementEvent['type'],
      ts: string,
      extra: Partial<EngagementEvent> = {},
    ) => ({ eventId: `e${n}`, customerId: 'c1', type, ts, ...extra }) as EngagementEvent;
    const meta = { campaignId: 'camp', variantId: 'camp-a', channel: 'email' as const };

    const p = mapEvents([
      e(1, 'delivered', '2026-11-23T09:00:00.000Z', meta),
      e(2, 'open', '2026-11-23T19:05:00.000Z', meta),
      e(3, 'click', '2026-11-23T19:06:00.000Z', meta),
      e(4, 'view', '2026-11-23T19:07:00.000Z', { itemId: 'a' }),
      e(5, 'view', '2026-11-23T19:20:00.000Z', { itemId: 'b' }),
      e(6, 'view', '2026-11-23T21:00:00.000Z', { itemId: 'c' }),
      e(7, 'purchase', '2026-11-23T19:30:00.000Z', { ...meta, itemId: 'b', value: 19.99 }),
    ]);

    expect(p.variants['camp|camp-a']).toEqual({
      delivered: 1,
      opens: 1,
      clicks: 1,
      conversions: 1,
      revenueCents: 1999,
    });
    expect(p.coVisits).toEqual({ 'a|b': 1 }); // c is a separate session (> 30 min later)
    expect(p.customers.c1?.hours[19]).toBe(2);
    expect(p.customers.c1?.weekdays[1]).toBe(2); // 2026-11-23 is a Monday
    expect(p.customers.c1).toMatchObject({
      revenueCents: 1999,
      firstTs: '2026-11-23T09:00:00.000Z',
      lastTs: '2026-11-23T21:00:00.000Z',
    });
    expect(p.items.b).toEqual({ views: 1, carts: 0, purchases: 1, sessions: 1 });
    expect([p.items.a?.sessions, p.items.c?.sessions]).toEqual([1, 1]);
  });

  it('builds sessions across pages, and a purchase joins the session like a view', () => {
    const e = (n: number, type: EngagementEvent['type'], minute: number, itemId: string) =>
      ({
        eventId: `e${n}`,
        customerId: 'c1',
        type,
        itemId,
        ts: new Date(Date.UTC(2026, 10, 23, 10, minute)).toISOString(),
      }) as EngagementEvent;
    const events = [e(1, 'view', 0, 'x'), e(2, 'purchase', 10, 'y'), e(3, 'view', 20, 'z')];

    const paged = new DayMapper().add(events.slice(0, 1)).add(events.slice(1)).finish();

    expect(paged).toEqual(mapEvents(events));
    expect(paged.coVisits).toEqual({ 'x|y': 1, 'x|z': 1, 'y|z': 1 });
  });

  it('pairs every item of a long session with the 19 touched next, whatever the ids', () => {
    // 30 items a minute apart: one session. Ids from 'z…' down to 'a…', so id order is not time order.
    const ids = Array.from({ length: 30 }, (_, i) => `${String.fromCharCode(122 - (i % 26))}${i}`);
    const session = (names: string[]) =>
      mapEvents(
        names.map(
          (itemId, i) =>
            ({
              eventId: `s${i}`,
              customerId: 'c1',
              type: 'view',
              itemId,
              ts: new Date(Date.UTC(2026, 10, 23, 10, i)).toISOString(),
            }) as EngagementEvent,
        ),
      ).coVisits;
    const pairs = session(ids);
    const key = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);

    // Every item is in a pair; exactly the pairs at most 19 places apart in time, once each.
    const expected: Record<string, number> = {};
    for (let i = 0; i < 30; i++)
      for (let j = i + 1; j < Math.min(30, i + 20); j++)
        expected[key(ids[i] as string, ids[j] as string)] = 1;
    expect({ ...pairs }).toEqual(expected);
    expect(Object.keys(pairs)).toHaveLength(30 * 19 - (19 * 20) / 2);
    // Renaming the items renames the pairs: nothing depends on id order (any session, any names).
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.string({ minLength: 1, maxLength: 6 }).filter((x) => !x.includes('|')),
          {
            minLength: 1,
            maxLength: 45,
          },
        ),
        fc.integer({ min: 0, max: 1_000_000 }),
        (names, salt) => {
          const renamed = names.map((n, i) => `${(salt * 31 + i * 7919) % 1000}-${n}`);
          const rename = new Map(names.map((n, i) => [n, renamed[i] as string]));
          const mapped = Object.fromEntries(
            Object.entries(session(names)).map(([k, count]) => {
              const [a, b] = k.split('|') as [string, string];
              return [key(rename.get(a) as string, rename.get(b) as string), count];
            }),
          );
          expect({ ...session(renamed) }).toEqual(mapped);
        },
      ),
      { numRuns: 100 },
    );
  });
});
