import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkEvent } from '#lib/events/schema.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';

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
});
