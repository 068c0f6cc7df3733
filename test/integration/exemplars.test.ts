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
  it('keeps only winners and variants clearly above their kind’s baseline, merges with earlier nights, ignores unregistered ones', async () => {
    const store = new DynamoVariantStore(documentClient(), testConfig().appTable);
    await store.register([
      { variantId: 'ex-a', kind: 'social', text: 'A', category: 'Outdoor' },
      { variantId: 'ex-b', kind: 'social', text: 'B' },
      { variantId: 'ex-c', kind: 'social', text: 'C' },
      { variantId: 'ex-d', kind: 'social', text: 'D' },
    ]);
    // Night 1: ex-a won its test; ex-b lost with a 4 % click rate and is no exemplar.
    const night1: CampaignLearning[] = [
      {
        campaignId: 'camp-1',
        winner: 'ex-a',
        variants: [learning('ex-a', 400, 120), learning('ex-b', 400, 16)],
      },
    ];
    // Night 2: no winner, but ex-c's interval lies above the kind's pooled rate; ex-d's does not.
    const night2: CampaignLearning[] = [
      {
        campaignId: 'camp-2',
        variants: [
          learning('ex-c', 1000, 200),
          learning('ex-d', 1000, 60),
          learning('ex-unregistered', 1000, 900),
        ],
      },
    ];

    const first = await updateExemplars(store, night1);
    const second = await updateExemplars(store, night2);
    const again = await updateExemplars(store, night2);

    expect(first.social?.map((r) => [r.variantId, r.evidence, r.category])).toEqual([
      ['ex-a', 'won', 'Outdoor'],
    ]);
    expect(second.social?.map((r) => [r.variantId, r.evidence])).toEqual([
      ['ex-a', 'won'],
      ['ex-c', 'beat-baseline'],
    ]);
    const c = second.social?.find((r) => r.variantId === 'ex-c');
    expect(c?.baselineClickRate).toBeCloseTo(260 / 2000, 10);
    expect(c?.clickInterval[0]).toBeGreaterThan(c?.baselineClickRate ?? 1);
    expect(again).toEqual(second);
    expect(await store.getExemplars('social')).toEqual(second.social);
  });
});
