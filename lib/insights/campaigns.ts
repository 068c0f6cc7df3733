import type { VariantCounts } from './partial.ts';
import { declareWinner, probabilityBest, type Rate, wilson } from './stats.ts';

/** What Muse learned about one copy variant. */
export interface VariantLearning {
  variantId: string;
  delivered: number;
  opens: number;
  clicks: number;
  conversions: number;
  revenue: number;
  /** opens / delivered. */
  openRate: Rate;
  /** clicks / delivered (the rate variants compete on). */
  clickRate: Rate;
  /** conversions / delivered. */
  conversionRate: Rate;
  /** Posterior probability that this variant has the best click rate (only with ≥ 2 variants to compare). */
  probabilityBest?: number;
  winner: boolean;
}

/** What Muse learned about one campaign. */
export interface CampaignLearning {
  campaignId: string;
  variants: VariantLearning[];
  /** The declared winner (≥ 95 % probability best, ≥ 300 delivered per variant), if any. */
  winner?: string;
}

/**
 * Turns accumulated variant counts (keyed `<campaignId>|<variantId>`, as in a
 * partial) into per-campaign learning: rates with 95 % Wilson intervals and
 * sample sizes, the probability each variant has the best click rate, and a
 * winner only when the rule in `WINNER_RULE` holds. Campaigns and variants
 * are sorted by id, so the output is deterministic.
 *
 * @example
 * ```ts
 * const learning = learnCampaigns(dayPartial.variants);
 * ```
 */
export function learnCampaigns(variants: Record<string, VariantCounts>): CampaignLearning[] {
  const byCampaign = new Map<string, Array<[string, VariantCounts]>>();
  for (const [key, counts] of Object.entries(variants)) {
    const [campaignId = '', variantId = ''] = key.split('|');
    byCampaign.set(campaignId, [...(byCampaign.get(campaignId) ?? []), [variantId, counts]]);
  }
  return [...byCampaign.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([campaignId, list]) => {
      list.sort(([a], [b]) => a.localeCompare(b));
      const arms = list.map(([, c]) => ({ successes: c.clicks, trials: c.delivered }));
      // With one variant there is nothing to be best against: no probability is claimed.
      const probabilities = arms.length >= 2 ? probabilityBest(arms) : [];
      const winner = declareWinner(arms, probabilities);
      return {
        campaignId,
        variants: list.map(([variantId, c], i) => ({
          variantId,
          delivered: c.delivered,
          opens: c.opens,
          clicks: c.clicks,
          conversions: c.conversions,
          revenue: c.revenueCents / 100,
          openRate: wilson(c.opens, c.delivered),
          clickRate: wilson(c.clicks, c.delivered),
          conversionRate: wilson(c.conversions, c.delivered),
          ...(probabilities[i] === undefined ? {} : { probabilityBest: probabilities[i] }),
          winner: i === winner,
        })),
        ...(winner === undefined ? {} : { winner: list[winner]?.[0] as string }),
      };
    });
}
