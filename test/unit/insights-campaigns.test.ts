import { describe, expect, it } from 'vitest';
import { learnCampaigns } from '#lib/insights/campaigns.ts';
import { mapEvents } from '#lib/insights/partial.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';

const counts = (
  delivered: number,
  opens: number,
  clicks: number,
  conversions = 0,
  revenueCents = 0,
) => ({
  delivered,
  opens,
  clicks,
  conversions,
  revenueCents,
});

describe('campaign learning', () => {
  it('declares the clearly better variant the winner, with rates and their sample sizes', () => {
    const [camp] = learnCampaigns({
      'spring|spring-b': counts(1000, 300, 80, 12, 59_880),
      'spring|spring-a': counts(1000, 280, 40, 5, 24_950),
    });

    expect(camp?.campaignId).toBe('spring');
    expect(camp?.winner).toBe('spring-b');
    expect(camp?.variants.map((v) => [v.variantId, v.winner])).toEqual([
      ['spring-a', false],
      ['spring-b', true],
    ]);
    expect(camp?.variants[1]).toMatchObject({
      revenue: 598.8,
      clickRate: { successes: 80, trials: 1000, rate: 0.08 },
      conversionRate: { rate: 0.012 },
    });
    expect(camp?.variants[1]?.probabilityBest).toBeGreaterThan(0.99);
  });

  it('claims no P(best) and no winner for a campaign with one variant, and no rate without deliveries', () => {
    const [alone] = learnCampaigns({ 'solo|solo-a': counts(1, 1, 1) });
    const [unsent] = learnCampaigns({ 'x|x-a': counts(0, 0, 0), 'x|x-b': counts(0, 0, 0) });

    expect(alone?.variants[0]?.probabilityBest).toBeUndefined();
    expect(alone?.winner).toBeUndefined();
    expect(unsent?.variants[0]?.clickRate).toMatchObject({ trials: 0, rate: null });
  });

  it('declares no winner without enough volume, however large the gap', () => {
    const [camp] = learnCampaigns({ 'c|a': counts(100, 30, 2), 'c|b': counts(100, 30, 20) });

    expect(camp?.winner).toBeUndefined();
    expect(camp?.variants.every((v) => !v.winner)).toBe(true);
  });

  it('on demo data, gives the truly best variant the highest probability where the evidence is strong', () => {
    const options: SeedOptions = {
      customers: 3000,
      days: 10,
      events: 60_000,
      seed: 5,
      end: new Date('2026-11-23T00:00:00Z'),
    };
    const world = buildWorld(options);

    const learned = learnCampaigns(mapEvents(demoEvents(world, options)).variants);

    const confident = learned.filter(
      (c) => Math.max(...c.variants.map((v) => v.probabilityBest ?? 0)) >= 0.9,
    );
    expect(confident.length).toBeGreaterThan(0);
    for (const campaign of confident) {
      const truth = world.campaigns.find((c) => c.id === campaign.campaignId);
      const trueBest = [...(truth?.variants ?? [])].sort(
        (a, b) => b.openRate * b.clickRate - a.openRate * a.clickRate,
      )[0];
      const top = [...campaign.variants].sort(
        (a, b) => (b.probabilityBest ?? 0) - (a.probabilityBest ?? 0),
      )[0];
      expect(top?.variantId).toBe(trueBest?.variantId);
    }
  });
});
