/**
 * Personalisation: the audience line of a prompt written from a customer's
 * nightly profile (top categories, recent items, engagement level,
 * preferred channel). Deterministic templates over stored facts; nothing
 * is invented, and nothing but these facts leaves the profile.
 */
import type { CatalogItem } from '../catalog/schema.ts';

/** The profile facts a prompt may use. */
export interface AudienceFacts {
  topCategories: string[];
  recentItems: string[];
  engagement: 'highly engaged' | 'occasionally engaged' | 'rarely engaged';
  preferredChannel?: string;
}

/** Engagement score (0–100) at or above which a customer counts as highly engaged, and as engaged now and then. */
export const ENGAGEMENT_LEVELS = { high: 60, some: 25 } as const;

/**
 * What copy needs of a customer's profile (the nightly summary satisfies it):
 * declared here so copy does not depend on how insights computes it.
 */
export interface AudienceProfile {
  /** 0–100. */
  engagement: number;
  topItems: ReadonlyArray<{ itemId: string; views: number; purchases: number }>;
  preferredChannel?: string;
}

/** Where copy reads a customer's profile from (the composition root wires the insights store). */
export interface AudienceProfiles {
  getSummary(customerId: string): Promise<AudienceProfile | undefined>;
}

/** Categories and items named in the audience line. */
const TOP = { categories: 2, items: 2 } as const;

/**
 * The facts of a profile: top categories by the customer's views and
 * purchases (purchases count 3×) of catalog items, their most-engaged items'
 * titles, an engagement level and the preferred channel.
 */
export function audienceFacts(
  summary: AudienceProfile,
  catalog: ReadonlyMap<string, CatalogItem>,
): AudienceFacts {
  const byCategory = new Map<string, number>();
  for (const item of summary.topItems) {
    const category = catalog.get(item.itemId)?.category;
    if (category) {
      byCategory.set(category, (byCategory.get(category) ?? 0) + item.views + 3 * item.purchases);
    }
  }
  const topCategories = [...byCategory]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP.categories)
    .map(([c]) => c);
  const recentItems = summary.topItems
    .flatMap((i) => {
      const title = catalog.get(i.itemId)?.title;
      return title ? [title] : [];
    })
    .slice(0, TOP.items);
  const engagement =
    summary.engagement >= ENGAGEMENT_LEVELS.high
      ? 'highly engaged'
      : summary.engagement >= ENGAGEMENT_LEVELS.some
        ? 'occasionally engaged'
        : 'rarely engaged';
  return {
    topCategories,
    recentItems,
    engagement,
    ...(summary.preferredChannel ? { preferredChannel: summary.preferredChannel } : {}),
  };
}

/**
 * The facts as one audience line, e.g. "a highly engaged shopper, who loves
 * Outdoor and Fitness, recently looked at Ridge Tent, prefers email";
 * `base` (the request's `audience`) replaces the opening words.
 */
export function audienceLine(facts: AudienceFacts, base?: string): string {
  const article = /^[aeiou]/i.test(facts.engagement) ? 'an' : 'a';
  const parts = [
    base ?? `${article} ${facts.engagement} shopper`,
    ...(facts.topCategories.length > 0 ? [`who loves ${facts.topCategories.join(' and ')}`] : []),
    ...(facts.recentItems.length > 0
      ? [`recently looked at ${facts.recentItems.join(' and ')}`]
      : []),
    ...(facts.preferredChannel ? [`prefers ${facts.preferredChannel}`] : []),
  ];
  return parts.join(', ');
}
