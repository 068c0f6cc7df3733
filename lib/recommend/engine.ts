/**
 * The recommendation engine, pure: candidates from the nightly signals and
 * the customer's history (or a free-text need), filters, a blend of
 * collaborative, text, popularity and language-model scores, MMR diversity
 * and a reason per item. The function and the offline evaluation both run
 * it; I/O lives in `service.ts`.
 */
import type { CatalogItem } from '../catalog/schema.ts';
import type { EventType } from '../events/schema.ts';
import type { CatalogIndex } from './catalogIndex.ts';
import type { RecommendationSignals } from './signals.ts';

/** One past interaction of the customer with an item. */
export interface Interaction {
  itemId: string;
  type: EventType;
  ts: string;
}

/** Filters on the returned items. */
export interface RecommendFilters {
  /** Catalog categories, any case (the service refuses names the catalog does not have). */
  categories?: string[];
  minPrice?: number;
  maxPrice?: number;
  /** Only items marked available (default true). */
  availableOnly: boolean;
  /** Also leave out items the customer viewed recently (purchased ones are always left out). */
  excludeSeen: boolean;
}

/** What to recommend for. */
export interface RecommendInput {
  /** The customer's recent interactions (any order); empty for a cold start. */
  history: readonly Interaction[];
  /** Items the customer ever bought (beyond `history`): never recommended. */
  purchased?: ReadonlySet<string>;
  need?: string;
  k: number;
  filters: RecommendFilters;
  /** 0 = rank by score only … 1 = strongly prefer items unlike those already chosen. */
  diversity: number;
  exclude: readonly string[];
}

/** Blend weights of the components (documented in the README, set in config). */
export interface BlendWeights {
  collaborative: number;
  text: number;
  popularity: number;
  lm: number;
}

/** Scores items' text given a context (PMI, see `lm.ts`). */
export interface LmScorer {
  /** Length-normalised PMI of each item's text under the context vs a neutral prompt. */
  pmi(context: string, items: readonly CatalogItem[]): Promise<number[]>;
}

/**
 * The weights a request blends with: a component that carries no signal for
 * it (zero for every candidate: co-visits for a free-text need, text for a
 * customer) passes its weight to the request's primary component (text for a
 * need, collaborative for a customer), or to popularity when the primary has
 * no signal either (cold start). Otherwise popularity would outvote the very
 * thing the request asked for.
 *
 * @example
 * ```ts
 * effectiveWeights(DEFAULT_RECS_WEIGHTS, { collaborative: false, text: true }, 'text');
 * // → { collaborative: 0, text: 0.8, popularity: 0.2, lm: 0.25 }
 * ```
 */
export function effectiveWeights(
  weights: BlendWeights,
  hasSignal: { collaborative: boolean; text: boolean },
  primary: 'collaborative' | 'text',
): BlendWeights {
  const out = { ...weights };
  const heir = hasSignal[primary] ? primary : 'popularity';
  for (const component of ['collaborative', 'text'] as const) {
    if (hasSignal[component] || component === heir) continue;
    out[heir] += out[component];
    out[component] = 0;
  }
  return out;
}

/** Why an item was proposed. */
export type Source =
  | {
      kind: 'covisit';
      with: string;
      bought: boolean;
      /** Sessions held both items (the model can relate items no session held together). */
      together: boolean;
      weight: number;
    }
  | { kind: 'category'; category: string; weight: number }
  | { kind: 'trending'; lift: number; weight: number }
  | { kind: 'popular'; weight: number }
  | { kind: 'match'; terms: string[]; weight: number }
  | { kind: 'catalog'; weight: number };

/** A recommended item. */
export interface Recommendation {
  itemId: string;
  title: string;
  category: string;
  price: number;
  score: number;
  components: { collaborative: number; text: number; popularity: number; lm: number };
  reason: string;
}

/** The engine's answer. */
export interface RecommendOutput {
  items: Recommendation[];
  coldStart: boolean;
  candidates: number;
  /** Candidates re-ranked by the language model. */
  reranked: number;
  lmContext?: string;
  /** The blend weights this request used (see {@link effectiveWeights}). */
  weights: BlendWeights;
}

/**
 * Most recent distinct items of the history used as seeds, each counting
 * the same. On the eval demo (`npm run eval:recs`, λ 300) 50 equal seeds
 * scored NDCG@10 0.1414 against 0.1027 for the 10 newest weighted 1/(1 + i),
 * and 0.1357 for 50 weighted 1/(1 + i/10).
 */
export const SEED_ITEMS = 50;
/** Categories of the history whose popular items are candidates. */
export const SEED_CATEGORIES = 2;
/** Candidates (after filters) re-ranked by the language model. */
export const RERANK_CANDIDATES = 30;

const INTERACTION_WEIGHT: Partial<Record<EventType, number>> = {
  view: 1,
  add_to_cart: 3,
  purchase: 5,
};

interface Candidate {
  itemId: string;
  collaborative: number;
  text: number;
  /** The need's own words matched (not only words it was expanded to). */
  direct?: boolean;
  popularity: number;
  sources: Source[];
}

function seeds(history: readonly Interaction[]) {
  const newestFirst = [...history]
    .filter((h) => INTERACTION_WEIGHT[h.type] !== undefined)
    .sort((a, b) => b.ts.localeCompare(a.ts));
  const items: Array<{ itemId: string; bought: boolean }> = [];
  for (const h of newestFirst) {
    const seen = items.find((s) => s.itemId === h.itemId);
    if (seen) {
      seen.bought ||= h.type === 'purchase';
      continue;
    }
    if (items.length < SEED_ITEMS) {
      items.push({ itemId: h.itemId, bought: h.type === 'purchase' });
    }
  }
  return items;
}

function topCategories(history: readonly Interaction[], catalog: CatalogIndex): string[] {
  const weights = new Map<string, number>();
  for (const h of history) {
    const category = catalog.items.get(h.itemId)?.category;
    const w = INTERACTION_WEIGHT[h.type];
    if (category && w) weights.set(category, (weights.get(category) ?? 0) + w);
  }
  return [...weights]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, SEED_CATEGORIES)
    .map(([c]) => c);
}

/** Popularity of every item the signals rank (overall and per category). */
/** Popularity maps built once per signals object (a container reuses its signals for minutes). */
const popularityCache = new WeakMap<RecommendationSignals, Map<string, number>>();

function popularityOf(signals: RecommendationSignals | undefined): Map<string, number> {
  if (!signals) return new Map();
  let cached = popularityCache.get(signals);
  if (!cached) {
    cached = buildPopularity(signals);
    popularityCache.set(signals, cached);
  }
  return cached;
}

function buildPopularity(signals: RecommendationSignals): Map<string, number> {
  // Every active item's score when the signals carry it; else only the listed items have one.
  if (signals.popularity) return new Map(Object.entries(signals.popularity));
  const out = new Map<string, number>();
  for (const p of [...signals.popular, ...Object.values(signals.popularByCategory).flat()]) {
    out.set(p.itemId, Math.max(out.get(p.itemId) ?? 0, p.score));
  }
  return out;
}

function passes(
  item: CatalogItem | undefined,
  f: RecommendFilters,
  categories: ReadonlySet<string> | undefined,
): item is CatalogItem {
  if (!item) return false;
  if (f.availableOnly && !item.available) return false;
  if (categories && !categories.has(item.category.toLowerCase())) return false;
  if (f.minPrice !== undefined && item.price < f.minPrice) return false;
  if (f.maxPrice !== undefined && item.price > f.maxPrice) return false;
  return true;
}

const normalise = (values: number[]) => {
  const max = Math.max(0, ...values);
  return values.map((v) => (max > 0 ? v / max : 0));
};

const words = (item: CatalogItem) =>
  new Set(
    [item.title, ...item.tags]
      .join(' ')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? [],
  );

/** Similarity of two items for diversity: 0.5 for the same category + 0.5 × word overlap of title and tags. */
export function itemSimilarity(a: CatalogItem, b: CatalogItem): number {
  const wa = words(a);
  const wb = words(b);
  let shared = 0;
  for (const w of wa) if (wb.has(w)) shared++;
  const jaccard = wa.size + wb.size - shared > 0 ? shared / (wa.size + wb.size - shared) : 0;
  return 0.5 * (a.category === b.category ? 1 : 0) + 0.5 * jaccard;
}

/**
 * Maximal marginal relevance: repeatedly takes the item with the best
 * `(1 − λ) · relevance − λ · max similarity to the items taken`.
 */
export function mmr<T extends { relevance: number; item: CatalogItem }>(
  pool: readonly T[],
  k: number,
  lambda: number,
): T[] {
  const left = [...pool];
  const chosen: T[] = [];
  while (chosen.length < k && left.length > 0) {
    let best = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    left.forEach((c, i) => {
      const redundancy = Math.max(0, ...chosen.map((s) => itemSimilarity(c.item, s.item)));
      const value = (1 - lambda) * c.relevance - lambda * redundancy;
      if (value > bestValue + 1e-12) {
        bestValue = value;
        best = i;
      }
    });
    chosen.push(left.splice(best, 1)[0] as T);
  }
  return chosen;
}

/** The reason of the source that contributed most, in words. */
export function reasonText(source: Source, catalog: CatalogIndex, need?: string): string {
  switch (source.kind) {
    case 'covisit': {
      const title = catalog.items.get(source.with)?.title ?? source.with;
      if (!source.together) return `liked by shoppers of ${title}`;
      return `${source.bought ? 'often bought' : 'viewed'} with ${title}`;
    }
    case 'category':
      return `popular in ${source.category} lately`;
    case 'trending':
      return `trending: ${source.lift.toFixed(1)}× its usual interest this week`;
    case 'popular':
      return 'popular right now';
    case 'match':
      return `matches '${need ?? source.terms.join(' ')}' (${source.terms.join(', ')})`;
    case 'catalog':
      return 'from the catalog (no activity data yet)';
  }
}

/** The context the language model scores items under. */
export function lmContext(input: RecommendInput, catalog: CatalogIndex): string | undefined {
  if (input.need)
    return `A shopper searched our store for "${input.need}". The product they bought was the`;
  const recent = seeds(input.history)
    .slice(0, 3)
    .flatMap((s) => {
      const t = catalog.items.get(s.itemId)?.title;
      return t ? [t] : [];
    });
  if (recent.length === 0) return undefined;
  const categories = topCategories(input.history, catalog);
  return `A shopper who loves ${categories.join(' and ') || 'our store'} recently looked at ${recent.join(', ')}. The next product they bought was the`;
}

/**
 * Recommends `k` items.
 *
 * @example
 * ```ts
 * const out = await recommendItems(input, { catalog, signals, weights, lm });
 * ```
 */
export async function recommendItems(
  input: RecommendInput,
  ctx: {
    catalog: CatalogIndex;
    signals?: RecommendationSignals;
    weights: BlendWeights;
    lm?: LmScorer;
  },
): Promise<RecommendOutput> {
  const { catalog, signals } = ctx;
  const candidates = new Map<string, Candidate>();
  const candidate = (itemId: string) => {
    let c = candidates.get(itemId);
    if (!c) {
      c = { itemId, collaborative: 0, text: 0, popularity: 0, sources: [] };
      candidates.set(itemId, c);
    }
    return c;
  };
  const seedItems = seeds(input.history);
  for (const seed of seedItems) {
    for (const n of signals?.neighbours[seed.itemId] ?? []) {
      const c = candidate(n.itemId);
      const weight = n.weight ?? n.score;
      c.collaborative += weight;
      c.sources.push({
        kind: 'covisit',
        with: seed.itemId,
        bought: seed.bought,
        together: n.sessions > 0,
        weight,
      });
    }
  }
  for (const category of topCategories(input.history, catalog)) {
    for (const p of signals?.popularByCategory[category] ?? []) {
      candidate(p.itemId).sources.push({ kind: 'category', category, weight: p.score });
    }
  }
  if (input.need) {
    for (const m of catalog.search(input.need)) {
      const c = candidate(m.itemId);
      c.text = m.score;
      c.direct = !m.expanded;
      c.sources.push({ kind: 'match', terms: m.terms, weight: m.score });
    }
  }
  const coldStart = seedItems.length === 0 && !input.need;
  const purchased = new Set([
    ...(input.purchased ?? []),
    ...input.history.filter((h) => h.type === 'purchase').map((h) => h.itemId),
  ]);
  const seen = new Set(input.history.map((h) => h.itemId));
  const excluded = new Set(input.exclude);
  const categories =
    input.filters.categories && input.filters.categories.length > 0
      ? new Set(input.filters.categories.map((c) => c.toLowerCase()))
      : undefined;
  const eligible = (id: string) =>
    !purchased.has(id) &&
    !excluded.has(id) &&
    !(input.filters.excludeSeen && seen.has(id)) &&
    passes(catalog.items.get(id), input.filters, categories);
  for (const t of signals?.trending ?? []) {
    candidate(t.itemId).sources.push({ kind: 'trending', lift: t.lift, weight: t.recentPerDay });
  }
  // Short of k after the filters (not before): the popular items join.
  if (coldStart || [...candidates.keys()].filter(eligible).length < input.k) {
    for (const p of signals?.popular ?? []) {
      candidate(p.itemId).sources.push({ kind: 'popular', weight: p.score });
    }
  }
  const popularity = popularityOf(signals);
  for (const c of candidates.values()) c.popularity = popularity.get(c.itemId) ?? 0;

  const pool = [...candidates.values()].filter((c) => eligible(c.itemId));
  if (pool.length < input.k) {
    // Never empty while the catalog has eligible items: fill from the catalog, most popular
    // first (items outside the nightly popular lists after them, by id), never in file order.
    const fill = [...catalog.items.keys()]
      .filter((id) => !candidates.has(id) && eligible(id))
      .sort((a, b) => (popularity.get(b) ?? 0) - (popularity.get(a) ?? 0) || a.localeCompare(b))
      .slice(0, Math.max(input.k, RERANK_CANDIDATES) - pool.length);
    for (const id of fill) {
      const c = candidate(id);
      c.popularity = popularity.get(id) ?? 0;
      c.sources.push({ kind: 'catalog', weight: 0 });
      pool.push(c);
    }
  }

  /** A candidate matching the request's own words (every candidate when there is no need). */
  const needMatch = (s: { c: Candidate }) => !input.need || s.c.direct === true;
  const byNeed = (a: { c: Candidate }, b: { c: Candidate }) =>
    Number(needMatch(b)) - Number(needMatch(a));

  const collab = normalise(pool.map((c) => c.collaborative));
  const text = normalise(pool.map((c) => c.text));
  const pop = normalise(pool.map((c) => c.popularity));
  const w = effectiveWeights(
    ctx.weights,
    { collaborative: collab.some((v) => v > 0), text: text.some((v) => v > 0) },
    input.need ? 'text' : 'collaborative',
  );
  let scored = pool
    .map((c, i) => ({
      c,
      item: catalog.items.get(c.itemId) as CatalogItem,
      components: {
        collaborative: collab[i] as number,
        text: text[i] as number,
        popularity: pop[i] as number,
        lm: 0,
      },
      relevance: 0,
    }))
    .map((s) => ({
      ...s,
      relevance:
        w.collaborative * s.components.collaborative +
        w.text * s.components.text +
        w.popularity * s.components.popularity,
    }))
    .sort(
      (a, b) => byNeed(a, b) || b.relevance - a.relevance || a.c.itemId.localeCompare(b.c.itemId),
    )
    .slice(0, Math.max(RERANK_CANDIDATES, input.k));

  const context = lmContext(input, catalog);
  let reranked = 0;
  if (ctx.lm && context && w.lm > 0 && scored.length > 1) {
    const pmi = await ctx.lm.pmi(
      context,
      scored.map((s) => s.item),
    );
    const min = Math.min(...pmi);
    const max = Math.max(...pmi);
    scored = scored.map((s, i) => {
      const lm = max > min ? ((pmi[i] as number) - min) / (max - min) : 0;
      return { ...s, components: { ...s.components, lm }, relevance: s.relevance + w.lm * lm };
    });
    reranked = scored.length;
  }
  // Score on 0–1 (the weights used need not sum to 1), so MMR trades it
  // against similarity (also 0–1) on the same scale.
  const weightUsed = w.collaborative + w.text + w.popularity + (reranked > 0 ? w.lm : 0);
  if (weightUsed > 0) scored = scored.map((s) => ({ ...s, relevance: s.relevance / weightUsed }));
  // With a need, the items matching its own words fill the list first (history and the LM
  // re-rank within them); expanded matches and other items only complete a list they cannot fill.
  const ranked = [...scored].sort(
    (a, b) => b.relevance - a.relevance || a.c.itemId.localeCompare(b.c.itemId),
  );
  const matched = ranked.filter((s) => needMatch(s));
  const chosen = mmr(matched, input.k, input.diversity);
  if (chosen.length < input.k) {
    chosen.push(
      ...mmr(
        ranked.filter((s) => !needMatch(s)),
        input.k - chosen.length,
        input.diversity,
      ),
    );
  }
  return {
    items: chosen.map((s) => {
      return {
        itemId: s.item.id,
        title: s.item.title,
        category: s.item.category,
        price: s.item.price,
        score: round(s.relevance),
        components: {
          collaborative: round(s.components.collaborative),
          text: round(s.components.text),
          popularity: round(s.components.popularity),
          lm: round(s.components.lm),
        },
        reason: explain(s, w, catalog, input.need),
      };
    }),
    coldStart,
    candidates: candidates.size,
    reranked,
    weights: w,
    ...(context && reranked > 0 ? { lmContext: context } : {}),
  };
}

const round = (v: number) => Number(v.toFixed(4));

/** The sources that feed each blend component. */
const COMPONENT_SOURCES: Record<keyof BlendWeights, ReadonlyArray<Source['kind']>> = {
  collaborative: ['covisit'],
  text: ['match'],
  popularity: ['category', 'trending', 'popular'],
  lm: [],
};

/**
 * An item's reason: the component that contributed most to its score
 * (weight × normalised value), told through that component's strongest
 * source; an item only the language model favoured says so, and one
 * nothing favoured is "from the catalog".
 */
function explain(
  s: { c: Candidate; item: CatalogItem; components: Record<keyof BlendWeights, number> },
  w: BlendWeights,
  catalog: CatalogIndex,
  need?: string,
): string {
  const [component, share] = (Object.keys(COMPONENT_SOURCES) as Array<keyof BlendWeights>)
    .map((k) => [k, w[k] * s.components[k]] as const)
    .sort((a, b) => b[1] - a[1])[0] as readonly [keyof BlendWeights, number];
  if (share <= 0) return reasonText({ kind: 'catalog', weight: 0 }, catalog, need);
  if (component === 'lm') {
    return need
      ? `the language model's pick for '${need}'`
      : "the language model's pick for this customer's recent items";
  }
  const source = s.c.sources
    .filter((src) => COMPONENT_SOURCES[component].includes(src.kind))
    .sort((a, b) => contribution(b) - contribution(a))[0];
  // Popularity is scored for every candidate in the nightly popular lists, proposed by them or not.
  return reasonText(source ?? { kind: 'popular', weight: 0 }, catalog, need);
}

/** Which source explains an item best: need matches first, then co-visits, then category, trending, popularity. */
function contribution(s: Source): number {
  switch (s.kind) {
    case 'match':
      return 4;
    case 'covisit':
      return 3 + s.weight / (1 + s.weight);
    case 'category':
      return 2;
    case 'trending':
      return 1.5;
    case 'popular':
      return 1;
    case 'catalog':
      return 0;
  }
}
