import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import { eng, zho } from 'stopword';
import type { CatalogItem } from '../catalog/schema.ts';
import { words } from '../text.ts';

/** English and Chinese stop words (the `stopword` package's lists). */
const STOP_WORDS = new Set([...eng, ...zho]);

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
  /** Words of the need the item matched, as written in the need (or the related words it was expanded to). */
  terms: string[];
  /** Matched only through words the need was expanded to. */
  expanded?: boolean;
}

/** Text-search results kept per need. */
export const TEXT_MATCHES = 30;

/**
 * Need expansion from the catalog itself: a need's word also searches the
 * words that most often share an item's title, tags or category with it
 * (at least {@link EXPANSION_MIN_SHARED} items, ranked by share × idf), at
 * {@link EXPANSION_WEIGHT} of a direct match's score.
 */
export const EXPANSIONS_PER_TERM = 3;
/** Items a word must share with a need's word to expand it. */
export const EXPANSION_MIN_SHARED = 2;
/** An expanded match's score, relative to a direct one. */
export const EXPANSION_WEIGHT = 0.3;

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
  /** Items by each term of their title, tags and category (for expansion). */
  private readonly postings = new Map<string, string[]>();
  /** Each item's title, tag and category terms. */
  private readonly labelTerms = new Map<string, string[]>();
  /** A word as the catalog writes it, for each term (reasons quote it). */
  private readonly surface = new Map<string, string>();

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
    for (const item of items) {
      const terms = new Set<string>();
      for (const word of words([item.title, ...item.tags, item.category].join(' '))) {
        const term = indexTerm(word);
        if (term === null) continue;
        terms.add(term);
        if (!this.surface.has(term)) this.surface.set(term, word.toLowerCase());
      }
      this.labelTerms.set(item.id, [...terms]);
      for (const term of terms) {
        let list = this.postings.get(term);
        if (!list) {
          list = [];
          this.postings.set(term, list);
        }
        list.push(item.id);
      }
    }
  }

  /** Related words of the catalog's terms, computed on first use (bounded by the catalog's vocabulary). */
  private readonly related = new Map<string, string[]>();

  /** The words that most often label the same items as `term` (not `except`). */
  private expansionsOf(term: string, except: ReadonlySet<string>): string[] {
    const docs = this.postings.get(term);
    if (!docs) return [];
    let ranked = this.related.get(term);
    if (!ranked) {
      const shared = new Map<string, number>();
      for (const id of docs) {
        for (const t of this.labelTerms.get(id) ?? []) {
          if (t !== term) shared.set(t, (shared.get(t) ?? 0) + 1);
        }
      }
      const n = this.items.size;
      ranked = [...shared]
        .filter(([, count]) => count >= EXPANSION_MIN_SHARED)
        .map(([t, count]) => {
          const df = this.postings.get(t)?.length ?? n;
          return [t, (count / docs.length) * Math.log(n / df)] as const;
        })
        .filter(([, score]) => score > 0)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        // A few spare, for needs that hold some of them already.
        .slice(0, EXPANSIONS_PER_TERM * 3)
        .map(([t]) => t);
      this.related.set(term, ranked);
    }
    return ranked.filter((t) => !except.has(t)).slice(0, EXPANSIONS_PER_TERM);
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
   * every gift). Each term is also expanded to the words that label the
   * same items (see {@link EXPANSIONS_PER_TERM}): "jewellery" reaches
   * necklaces when some necklaces are labelled jewellery.
   */
  search(need: string, limit = TEXT_MATCHES): TextMatch[] {
    // Each term of the need, and the word the client wrote for it (reasons quote those).
    const written = new Map<string, string>();
    for (const word of words(need)) {
      const term = indexTerm(word);
      if (term !== null && !written.has(term)) written.set(term, word);
    }
    if (written.size === 0) return [];
    const share = (covered: number) => (covered / written.size) ** 2;
    const best = new Map<string, TextMatch>();
    // A direct match stands; an expanded one only fills in for items the need's words miss.
    const keep = (match: TextMatch) => {
      if (!best.has(match.itemId)) best.set(match.itemId, match);
    };
    for (const r of this.search_.search(need)) {
      const matched = [...new Set(r.queryTerms)];
      keep({
        itemId: String(r.id),
        score: r.score * share(matched.length),
        terms: matched.map((t) => written.get(t) ?? t),
      });
    }
    // Expansions: each related word stands for the need's term it came from.
    const from = new Map<string, string>();
    const except = new Set(written.keys());
    for (const term of written.keys()) {
      for (const related of this.expansionsOf(term, except)) {
        if (!from.has(related)) from.set(related, term);
      }
    }
    if (from.size > 0) {
      // Searched as the catalog writes them (each processes back to its term).
      const query = [...from.keys()].map((t) => this.surface.get(t) ?? t).join(' ');
      const results = this.search_.search(query, {
        fields: ['title', 'tagText', 'category'],
        prefix: false,
        fuzzy: false,
      });
      for (const r of results) {
        const related = [...new Set(r.queryTerms)].filter((t) => from.has(t));
        const covered = new Set(related.map((t) => from.get(t)));
        keep({
          itemId: String(r.id),
          score: EXPANSION_WEIGHT * r.score * share(covered.size),
          terms: related.map((t) => this.surface.get(t) ?? t),
          expanded: true,
        });
      }
    }
    return [...best.values()]
      .sort((a, b) => b.score - a.score || a.itemId.localeCompare(b.itemId))
      .slice(0, limit);
  }
}
