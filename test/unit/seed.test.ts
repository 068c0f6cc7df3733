import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkEvent, type EngagementEvent } from '#lib/events/schema.ts';
import { assessBase } from '#lib/insights/base.ts';
import { learnCampaigns } from '#lib/insights/campaigns.ts';
import { mapEvents } from '#lib/insights/partial.ts';
import { applyDay, type ProfileState } from '#lib/insights/profiles.ts';
import { FIRST_START_SEED } from '#local/demo.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';
import { zhTokenizerFiles } from '#tools/model/builder/tokenizer.ts';
import { zhVocabularyText } from '#tools/model/builder/zhVocabulary.ts';
import {
  cutoffSplit,
  easeBaseline,
  evaluate,
  itemKnnBaseline,
  popularityBaseline,
  type Recommender,
} from '#tools/recommend/evaluate.ts';

const options: SeedOptions = {
  customers: 150,
  days: 14,
  events: 6000,
  seed: 7,
  end: new Date('2026-11-23T00:00:00Z'),
};
const generate = (o: SeedOptions) => [...demoEvents(buildWorld(o), o)];
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

describe('demo data generator', () => {
  it('produces exactly the requested number of events, each valid for ingestion', () => {
    const events = generate(options);

    expect(events).toHaveLength(6000);
    const invalid = events.filter(
      (e) => !checkEvent(e, { now: options.end, retentionDays: 400 }).ok,
    );
    expect(invalid).toEqual([]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(6000);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(digest(generate(options))).toBe(digest(generate(options)));
    expect(digest(buildWorld(options))).toBe(digest(buildWorld(options)));
    expect(digest(generate({ ...options, seed: 8 }))).not.toBe(digest(generate(options)));
  });

  it('keeps every event inside the window', () => {
    const start = options.end.getTime() - options.days * 86_400_000;
    const times = generate(options).map((e) => Date.parse(e.ts));

    expect(Math.min(...times)).toBeGreaterThanOrEqual(start);
    expect(Math.max(...times)).toBeLessThan(options.end.getTime());
  });

  it('follows a narrowing funnel: delivered > open > click, view > add_to_cart > purchase', () => {
    const count = (type: string) => generate(options).filter((e) => e.type === type).length;

    expect(count('delivered')).toBeGreaterThan(count('open'));
    expect(count('open')).toBeGreaterThan(count('click'));
    expect(count('view')).toBeGreaterThan(count('add_to_cart'));
    expect(count('add_to_cart')).toBeGreaterThan(count('purchase'));
    expect(count('purchase')).toBeGreaterThan(0);
  });

  it('gives campaign events a campaign and a variant of that campaign', () => {
    const world = buildWorld(options);
    const variants = new Map(
      world.campaigns.flatMap((c) => c.variants.map((v) => [v.variantId, c.id])),
    );

    const campaignEvents = generate(options).filter((e) => e.campaignId);

    expect(campaignEvents.length).toBeGreaterThan(0);
    for (const e of campaignEvents) expect(variants.get(e.variantId as string)).toBe(e.campaignId);
  });

  it('lets customers browse mostly in their favourite categories', () => {
    const world = buildWorld(options);
    const category = new Map(world.catalog.map((i) => [i.id, i.category]));
    const favourite = new Map(
      world.customers.map((c) => [
        c.id,
        Object.entries(c.tastes).sort((a, b) => b[1] - a[1])[0]?.[0],
      ]),
    );

    const views = generate(options).filter((e) => e.type === 'view' && !e.campaignId);
    const inFavourite = views.filter(
      (e) => category.get(e.itemId as string) === favourite.get(e.customerId),
    );

    // Favourite weight is 6 of 6 + 3 + 4 × 0.6 = 11.4, about 53 %, against 1/6 by chance.
    expect(inFavourite.length / views.length).toBeGreaterThan(0.4);
  });

  describe('the first-start data set', () => {
    const first = { ...FIRST_START_SEED, end: new Date('2026-12-01T13:00:00Z') };
    const world = buildWorld(first);
    const events = generate(first);
    const lastDay = first.days - 1;
    const dayIndex = (ts: string) =>
      Math.floor((Date.parse(ts) - Date.parse('2026-11-01T00:00:00Z')) / 86_400_000);

    it('lets lapsing customers stop at least 15 days before the end', () => {
      const lapsing = world.customers.filter((c) => c.lifecycle === 'lapsing');
      const last = new Map<string, number>();
      for (const e of events)
        last.set(e.customerId, Math.max(last.get(e.customerId) ?? 0, dayIndex(e.ts)));

      expect(lapsing.length).toBeGreaterThan(20);
      for (const c of lapsing) {
        expect(c.activeTo).toBeLessThanOrEqual(lastDay - 15);
        expect(last.get(c.id) ?? -1).toBeLessThanOrEqual(c.activeTo);
      }
    });

    it('puts days on UTC midnights: day 0 is 30 days before the day of the end', () => {
      expect(Math.min(...events.map((e) => dayIndex(e.ts)))).toBe(0);
      expect(Math.max(...events.map((e) => dayIndex(e.ts)))).toBe(lastDay);
    });

    it('gives every variant of a campaign its own copy', () => {
      for (const c of world.campaigns) {
        expect(new Set(c.variants.map((v) => v.copy)).size).toBe(c.variants.length);
      }
    });

    it('has opens and clicks only after a delivery of the same variant to the same customer', () => {
      const delivered = new Map<string, string>();
      for (const e of events) {
        const key = `${e.customerId}|${e.variantId}`;
        if (e.type === 'delivered' && !delivered.has(key)) delivered.set(key, e.ts);
        if (e.type === 'open' || e.type === 'click') {
          const sent = delivered.get(key);
          expect(sent !== undefined && sent < e.ts).toBe(true);
        }
      }
    });

    it('sends the two triggered campaigns (email, SMS) to ≥ 300 customers per variant with a real gap, so the first start declares their winners, and others have none', () => {
      const learned = learnCampaigns(mapEvents(events).variants);

      const winners = learned.filter((c) => c.winner);
      expect(winners.map((c) => [c.campaignId, c.winner])).toEqual([
        ['camp-001', 'camp-001-b'],
        ['camp-101', 'camp-101-b'],
      ]);
      for (const w of winners) expect(w.variants.every((v) => v.delivered >= 300)).toBe(true);
      expect(learned.filter((c) => !c.winner).length).toBeGreaterThan(0);
    });

    it('keeps engagement from saturating: at most 10 % of the base at 100', async () => {
      const byDay = new Map<number, typeof events>();
      for (const e of events) byDay.set(dayIndex(e.ts), [...(byDay.get(dayIndex(e.ts)) ?? []), e]);
      const states = new Map<string, ProfileState>();
      for (let d = 0; d <= lastDay; d++) {
        const day = `2026-11-${String(d + 1).padStart(2, '0')}`;
        for (const [id, c] of Object.entries(mapEvents(byDay.get(d) ?? []).customers)) {
          states.set(id, applyDay(states.get(id), id, day, c));
        }
      }

      const base = await assessBase(async function* () {
        yield [...states.values()];
      }, '2026-11-30');

      const top = base.summaries.filter((s) => s.engagement === 100).length;
      expect(top / base.summaries.length).toBeLessThanOrEqual(0.1);
      expect(new Set(base.summaries.map((s) => s.engagement)).size).toBeGreaterThan(30);
    });
  });
});

describe('the Chinese demo shop (--language zh)', () => {
  const zh = { ...options, language: 'zh' as const };

  it('has the English shop’s shape with ids of its own, so both can share one stack', () => {
    const en = buildWorld(options);
    const world = buildWorld(zh);

    expect(world.catalog).toHaveLength(en.catalog.length);
    expect(world.campaigns.map((c) => c.variants.length)).toEqual(
      en.campaigns.map((c) => c.variants.length),
    );
    const enIds = new Set([...en.catalog, ...en.customers, ...en.campaigns].map((x) => x.id));
    expect(
      [...world.catalog, ...world.customers, ...world.campaigns].filter((x) => enIds.has(x.id)),
    ).toEqual([]);
    expect(world.catalog.some((i) => i.title.endsWith('保温杯'))).toBe(true);
    expect(generate(zh)).toHaveLength(6000);
  });

  it('writes only characters the demo Chinese vocabulary has (no [UNK] for the demo model)', () => {
    const { tokenizer } = zhTokenizerFiles(zhVocabularyText()) as {
      tokenizer: { model: { vocab: Record<string, number> } };
    };
    const world = buildWorld(zh);
    const texts = [
      ...world.catalog.flatMap((i) => [i.title, i.description, i.category]),
      ...world.campaigns.flatMap((c) => c.variants.map((v) => v.copy)),
    ];
    const missing = [...new Set(texts.join('').replace(/\s/g, ''))].filter(
      (c) => !(c in tokenizer.model.vocab),
    );
    expect(missing).toEqual([]);
  });
});

describe('the demo shop behaves like a real one', () => {
  const shop: SeedOptions = {
    customers: 1500,
    days: 60,
    events: 120_000,
    itemsPerCategory: 100,
    seed: 3,
    end: new Date('2026-11-01T00:00:00Z'),
  };
  const world = buildWorld(shop);
  const events = generate(shop);
  const organicViews = events.filter((e) => e.type === 'view' && !e.campaignId);
  const start = shop.end.getTime() - shop.days * 86_400_000;

  it('has long-tailed popularity: the top 10 % of items get over a third of the views', () => {
    const views = new Map<string, number>();
    for (const e of organicViews)
      views.set(e.itemId as string, (views.get(e.itemId as string) ?? 0) + 1);
    const ranked = world.catalog.map((i) => views.get(i.id) ?? 0).sort((a, b) => b - a);
    const top = ranked.slice(0, ranked.length / 10).reduce((s, v) => s + v, 0);

    expect(top / organicViews.length).toBeGreaterThan(0.35);
  });

  it('has baskets: the next item of a session is often a complement of the last (chance: 0.5 %)', () => {
    const byCustomer = new Map<string, EngagementEvent[]>();
    for (const e of organicViews) {
      const list = byCustomer.get(e.customerId);
      if (list) list.push(e);
      else byCustomer.set(e.customerId, [e]);
    }
    let pairs = 0;
    let complements = 0;
    for (const list of byCustomer.values()) {
      list.sort((a, b) => a.ts.localeCompare(b.ts));
      for (const [i, b] of list.entries()) {
        const a = list[i - 1];
        if (!a || a.itemId === b.itemId || Date.parse(b.ts) - Date.parse(a.ts) > 1_800_000)
          continue;
        pairs++;
        if (world.complements.get(a.itemId as string)?.includes(b.itemId as string)) complements++;
      }
    }

    expect(3 / world.catalog.length).toBeLessThan(0.006);
    expect(complements / pairs).toBeGreaterThan(0.25);
  });

  it('has seasonal items, looked at 3× more per day in their season than out of it', () => {
    const inSeason = (itemId: string, day: number) => {
      const season = world.seasons.get(itemId);
      return season && Math.abs(day - season.peakDay) <= season.widthDays;
    };
    const itemDays = { in: 0, out: 0 };
    for (const id of world.seasons.keys())
      for (let d = 0; d < shop.days; d++) itemDays[inSeason(id, d) ? 'in' : 'out']++;
    const views = { in: 0, out: 0 };
    for (const e of organicViews) {
      if (!world.seasons.has(e.itemId as string)) continue;
      const day = Math.floor((Date.parse(e.ts) - start) / 86_400_000);
      views[inSeason(e.itemId as string, day) ? 'in' : 'out']++;
    }

    expect(world.seasons.size / world.catalog.length).toBeGreaterThan(0.1);
    expect(views.in / itemDays.in).toBeGreaterThan((3 * views.out) / itemDays.out);
  });

  it('has repeat purchases: over 5 % of the customer–item pairs bought are bought again', () => {
    const bought = new Map<string, number>();
    for (const e of events) {
      if (e.type !== 'purchase') continue;
      const key = `${e.customerId}|${e.itemId}`;
      bought.set(key, (bought.get(key) ?? 0) + 1);
    }

    expect([...bought.values()].filter((n) => n > 1).length / bought.size).toBeGreaterThan(0.05);
  });

  it('has item-item structure to find: item-kNN and EASE beat popularity by 30 % NDCG@10', async () => {
    const log = events.flatMap((e) =>
      e.itemId ? [{ customerId: e.customerId, itemId: e.itemId, type: e.type, ts: e.ts }] : [],
    );
    const split = cutoffSplit(log, new Date(shop.end.getTime() - 14 * 86_400_000).toISOString());
    const ndcg = async (method: Recommender | undefined) =>
      (await evaluate(split, world.catalog.length, method as Recommender)).ndcg;

    const popularity = await ndcg(popularityBaseline(split));

    expect(await ndcg(itemKnnBaseline(split))).toBeGreaterThan(1.3 * popularity);
    expect(await ndcg(easeBaseline(split))).toBeGreaterThan(1.3 * popularity);
  });
});
