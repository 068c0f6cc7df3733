import MiniSearch from 'minisearch';
import type { CatalogItem } from '../catalog/schema.ts';

/** A text match of a free-text need. */
export interface TextMatch {
  itemId: string;
  /** MiniSearch's BM25+ score (higher is better; not bounded). */
  score: number;
  /** Query terms the item matched. */
  terms: string[];
}

/** Text-search results kept per need. */
export const TEXT_MATCHES = 30;

/**
 * The catalog in memory: items by id, and a full-text index (MiniSearch,
 * BM25+ ranking) over title (boosted 3×), tags (2×), category (2×) and
 * description, with prefix and light fuzzy matching.
 *
 * @example
 * ```ts
 * const index = new CatalogIndex(items);
 * index.search('light jacket for spring hikes');
 * ```
 */
export class CatalogIndex {
  readonly items: ReadonlyMap<string, CatalogItem>;
  /** The catalog's categories by their lower-case form (filters match them in any case). */
  readonly categories: ReadonlyMap<string, string>;
  private readonly search_: MiniSearch<CatalogItem & { tagText: string }>;

  constructor(items: readonly CatalogItem[]) {
    this.items = new Map(items.map((i) => [i.id, i]));
    this.categories = new Map(
      [...new Set(items.map((i) => i.category))]
        .sort((a, b) => a.localeCompare(b))
        .map((c) => [c.toLowerCase(), c]),
    );
    this.search_ = new MiniSearch({
      idField: 'id',
      fields: ['title', 'tagText', 'category', 'description'],
      searchOptions: {
        boost: { title: 3, tagText: 2, category: 2 },
        prefix: (term) => term.length >= 4,
        fuzzy: (term) => (term.length >= 6 ? 0.15 : false),
        combineWith: 'OR',
      },
    });
    this.search_.addAll(items.map((i) => ({ ...i, tagText: i.tags.join(' ') })));
  }

  /** The names of `categories` the catalog has none of (case-insensitive), in request order. */
  unknownCategories(categories: readonly string[]): string[] {
    return categories.filter((c) => !this.categories.has(c.toLowerCase()));
  }

  /** Items matching a free-text need, best first. */
  search(need: string, limit = TEXT_MATCHES): TextMatch[] {
    return this.search_
      .search(need)
      .slice(0, limit)
      .map((r) => ({ itemId: String(r.id), score: r.score, terms: r.terms }));
  }
}
