import { describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { DynamoVariantStore, updateExemplars } from '#lib/copy/variants.ts';
import type { CampaignLearning, VariantLearning } from '#lib/insights/campaigns.ts';
import { wilson as rate } from '#lib/insights/stats.ts';
import { testConfig } from '#test/support/clients.ts';

const learning = (variantId: string, delivered: number, clicks: number): VariantLearning => ({
  variantId,
  delivered,
  opens: 0,
  clicks,
  conversions: 0,
  revenue: 0,
  openRate: rate(0, delivered),
  clickRate: rate(clicks, delivered),
  conversionRate: rate(0, delivered),
  probabilityBest: 0,
  winner: false,
});

describe('copy exemplars learned nightly (dynalite)', () => {
  it('ranks registered variants of a kind by the rule, merges with earlier nights, ignores unregistered ones', async () => {
    const store = new DynamoVariantStore(documentClient(), testConfig().appTable);
    await store.register([
      { variantId: 'ex-a', kind: 'social', text: 'A' },
      { variantId: 'ex-b', kind: 'social', text: 'B' },
      { variantId: 'ex-c', kind: 'social', text: 'C' },
    ]);
    const night1: CampaignLearning[] = [
      { campaignId: 'camp-1', variants: [learning('ex-a', 400, 20), learning('ex-b', 150, 100)] },
    ];
    const night2: CampaignLearning[] = [
      {
        campaignId: 'camp-2',
        variants: [learning('ex-c', 1000, 80), learning('ex-unregistered', 1000, 900)],
      },
    ];

    const first = await updateExemplars(store, night1);
    const second = await updateExemplars(store, night2);
    const again = await updateExemplars(store, night2);

    expect(first.social?.map((r) => r.variantId)).toEqual(['ex-a']); // ex-b: < 200 delivered
    expect(second.social?.map((r) => [r.variantId, r.clickRate])).toEqual([
      ['ex-c', 0.08],
      ['ex-a', 0.05],
    ]);
    expect(again).toEqual(second);
    expect(await store.getExemplars('social')).toEqual(second.social);
  });
});
