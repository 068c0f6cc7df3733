import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import { eng, zho } from 'stopword';
import type { CatalogItem } from '../catalog/schema.ts';

/** Words by Unicode's rules (UAX #29), with dictionary segmentation for Chinese and Japanese: mixed-language text works. */
const WORDS = new Intl.Segmenter('zh', { granularity: 'word' });
/** English and Chinese stop words (the `stopword` package's lists). */
const STOP_WORDS = new Set([...eng, ...zho]);

/** The words of a text (catalog fields and needs alike). */
export function words(text: string): string[] {
  return [...WORDS.segment(text)].filter((s) => s.isWordLike).map((s) => s.segment);
}

/**
 * A word as the index keeps it: lower case, stop words dropped, English
 * words stemmed (Porter: "wrapping", "wraps" and "WRAP" are all "wrap");
 * other scripts as they are.
 */
export function indexTerm(word: string): string | null {
  const term = word.toLowerCase();
  if (STOP_WORDS.has(term)) return null;
  return /^[a-z]+$/.test(term) ? stemmer(term) : term;
}

/** A text match of a free-text need. */
export interface TextMatch {
  itemId: string;
  /** MiniSearch's BM25+ score (higher is better; not bounded). */
  score: number;
  /** Words of the need the item matched, as written in the need. */
  terms: string[];
}

/** Text-search results kept per need. */
export const TEXT_MATCHES = 30;

/**
 * The catalog in memory: items by id, and a full-text index (MiniSearch,
 * BM25+ ranking) over title (boosted 3×), tags (2×), category (2×) and
 * description: words by `Intl.Segmenter` (Chinese and Japanese too), stop
 * words dropped, English stemmed, with prefix and light fuzzy matching.
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
      tokenize: words,
      processTerm: indexTerm,
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

  /**
   * Items matching a free-text need, best first: BM25+ over the fields,
   * times the square of the share of the need's terms an item matches, so
   * an item matching every term outranks one that matches a frequent
   * term strongly ("a gift for a gardener" puts the gardener's item above
   * every gift).
   */
  search(need: string, limit = TEXT_MATCHES): TextMatch[] {
    // Each term of the need, and the word the client wrote for it (reasons quote those).
    const written = new Map<string, string>();
    for (const word of words(need)) {
      const term = indexTerm(word);
      if (term !== null && !written.has(term)) written.set(term, word);
    }
    if (written.size === 0) return [];
    return this.search_
      .search(need)
      .map((r) => {
        const matched = [...new Set(r.queryTerms)];
        const share = matched.length / written.size;
        return {
          itemId: String(r.id),
          score: r.score * share * share,
          terms: matched.map((t) => written.get(t) ?? t),
        };
      })
      .sort((a, b) => b.score - a.score || a.itemId.localeCompare(b.itemId))
      .slice(0, limit);
  }
}
