/**
 * Offline evaluation of recommendations on any interaction log: a
 * time-based split (a share of the log, or a cutoff date), then NDCG@k,
 * recall@k and catalog coverage of each method on the same split, side by
 * side (popularity, popularity of the last 28 days, item-kNN, Muse's
 * hybrid). Pure; `npm run eval:recs` feeds it files or the demo seed.
 */

import type { CatalogItem } from '#lib/catalog/schema.ts';
import type { EngagementEvent, EventType } from '#lib/events/schema.ts';
import { mapEvents } from '#lib/insights/partial.ts';
import {
  buildSignals,
  type ItemDay,
  itemDayOf,
  SIGNAL_WINDOW_DAYS,
} from '#lib/insights/signals.ts';
import { CatalogIndex } from '#lib/recommend/catalogIndex.ts';
import { EASE_LAMBDA, EASE_MAX_ITEMS, easeScores, fitEase } from '#lib/recommend/ease.ts';
import {
  type BlendWeights,
  type Interaction,
  type LmScorer,
  recommendItems,
} from '#lib/recommend/engine.ts';
import type { RecommendationSignals } from '#lib/recommend/signals.ts';
import type { SeedOptions } from '../demo/seed.ts';

/** One interaction of the log: who, which item, what, when. */
export interface LoggedInteraction {
  customerId: string;
  itemId: string;
  type: EventType;
  ts: string;
}

/**
 * What counts as a hit: `new-touch`, an item the customer interacts with
 * after the cut and had not touched before (touched items are not
 * recommended); `first-purchase`, an item they buy after the cut and had
 * not bought before (bought items are not recommended).
 */
export type Truth = 'new-touch' | 'first-purchase';

/** A time-based split: everything before `cutoff` trains, the rest tests. */
export interface Split {
  cutoff: string;
  train: LoggedInteraction[];
  test: LoggedInteraction[];
  truth: Truth;
}

/** Splits at the time below which `1 − testFraction` of the interactions fall (truth: new touches). */
export function timeSplit(log: readonly LoggedInteraction[], testFraction = 0.2): Split {
  const sorted = [...log].sort((a, b) => a.ts.localeCompare(b.ts));
  const cutoff = sorted[Math.floor(sorted.length * (1 - testFraction))]?.ts ?? '';
  return {
    cutoff,
    train: sorted.filter((i) => i.ts < cutoff),
    test: sorted.filter((i) => i.ts >= cutoff),
    truth: 'new-touch',
  };
}

/**
 * Splits at a date (ISO; interactions before it train): the truth is the
 * items a returning customer buys for the first time after it.
 */
export function cutoffSplit(log: readonly LoggedInteraction[], cutoff: string): Split {
  const at = new Date(cutoff).toISOString();
  const sorted = [...log].sort((a, b) => a.ts.localeCompare(b.ts));
  return {
    cutoff: at,
    train: sorted.filter((i) => i.ts < at),
    test: sorted.filter((i) => i.ts >= at),
    truth: 'first-purchase',
  };
}

/** NDCG@k with binary relevance. */
export function ndcgAt(
  recommended: readonly string[],
  relevant: ReadonlySet<string>,
  k = 10,
): number {
  let dcg = 0;
  recommended.slice(0, k).forEach((id, i) => {
    if (relevant.has(id)) dcg += 1 / Math.log2(i + 2);
  });
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return ideal > 0 ? dcg / ideal : 0;
}

/** Relevant items in the first k, over the most a list of k can hold: min(k, |relevant|). */
export function recallAt(
  recommended: readonly string[],
  relevant: ReadonlySet<string>,
  k = 10,
): number {
  if (relevant.size === 0) return 0;
  const hits = recommended.slice(0, k).filter((id) => relevant.has(id)).length;
  return hits / Math.min(k, relevant.size);
}

/** A method: the top items for a customer given their training history, none of `excluded`. */
export type Recommender = (
  customerId: string,
  history: readonly LoggedInteraction[],
  k: number,
  excluded: ReadonlySet<string>,
) => Promise<string[]>;

/** Metrics of one method. */
export interface EvalResult {
  ndcg: number;
  recall: number;
  /** Distinct items recommended / catalog size. */
  coverage: number;
  users: number;
}

const INTERACTIONS = new Set<EventType>(['view', 'add_to_cart', 'purchase']);

/** The value of `map` at `key`, created by `make` when missing. */
function slot<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** The customers scored, with their training history, excluded items and truth. */
function cases(split: Split) {
  const history = new Map<string, LoggedInteraction[]>();
  for (const i of split.train) {
    if (!INTERACTIONS.has(i.type)) continue;
    slot(history, i.customerId, () => []).push(i);
  }
  const excludedOf = (list: readonly LoggedInteraction[]) =>
    new Set(
      list.filter((h) => split.truth === 'new-touch' || h.type === 'purchase').map((h) => h.itemId),
    );
  const excluded = new Map([...history].map(([c, list]) => [c, excludedOf(list)]));
  const relevant = new Map<string, Set<string>>();
  for (const i of split.test) {
    const before = excluded.get(i.customerId);
    if (!before || !INTERACTIONS.has(i.type) || before.has(i.itemId)) continue;
    if (split.truth === 'first-purchase' && i.type !== 'purchase') continue;
    slot(relevant, i.customerId, () => new Set()).add(i.itemId);
  }
  return { history, excluded, relevant };
}

/**
 * Evaluates a method: for each customer with training history and at least
 * one relevant test item (see {@link Truth}), recommends `k` items (none of
 * those the protocol excludes) and averages NDCG@k and recall@k.
 */
export async function evaluate(
  split: Split,
  catalogSize: number,
  method: Recommender,
  k = 10,
  onProgress?: (done: number, total: number) => void,
): Promise<EvalResult> {
  const { history, excluded, relevant } = cases(split);
  let ndcg = 0;
  let recall = 0;
  const shown = new Set<string>();
  const users = [...relevant.keys()].sort();
  for (const [n, customerId] of users.entries()) {
    const rel = relevant.get(customerId) as Set<string>;
    const top = (
      await method(
        customerId,
        history.get(customerId) ?? [],
        k,
        excluded.get(customerId) ?? new Set(),
      )
    ).slice(0, k);
    for (const id of top) shown.add(id);
    ndcg += ndcgAt(top, rel, k);
    recall += recallAt(top, rel, k);
    onProgress?.(n + 1, users.length);
  }
  const n = Math.max(1, users.length);
  return {
    ndcg: ndcg / n,
    recall: recall / n,
    coverage: shown.size / Math.max(1, catalogSize),
    users: users.length,
  };
}

const WEIGHT: Partial<Record<EventType, number>> = { view: 1, add_to_cart: 3, purchase: 5 };

/**
 * Baseline: the most popular items in training (weighted view 1, cart 3,
 * purchase 5), over the last `days` before the cut when given.
 */
export function popularityBaseline(split: Split, days?: number): Recommender {
  const since =
    days === undefined ? '' : new Date(Date.parse(split.cutoff) - days * 86_400_000).toISOString();
  const score = new Map<string, number>();
  for (const i of split.train) {
    if (i.ts < since) continue;
    score.set(i.itemId, (score.get(i.itemId) ?? 0) + (WEIGHT[i.type] ?? 0));
  }
  const ranked = [...score]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([id]) => id);
  return async (_c, _history, k, excluded) => {
    const out: string[] = [];
    for (const id of ranked) {
      if (out.length >= k) break;
      if (!excluded.has(id)) out.push(id);
    }
    return out;
  };
}

/** Items up to which item-kNN keeps a dense n × n similarity matrix (8-byte numbers: 128 MB at 4,000). */
export const KNN_DENSE_MAX_ITEMS = 4000;

/**
 * Baseline: item-kNN, cosine similarity of items over the sets of customers
 * who touched them in training; a customer's score for an item is the sum of
 * its similarities to the items they touched. Up to
 * {@link KNN_DENSE_MAX_ITEMS} items the similarities are one dense matrix
 * built once (Σ over customers of their item pairs); beyond, each
 * customer's scores are summed through the customers of their items.
 */
export function itemKnnBaseline(split: Split, denseMaxItems = KNN_DENSE_MAX_ITEMS): Recommender {
  const customersOf = new Map<string, Set<string>>();
  const itemsOf = new Map<string, Set<string>>();
  for (const i of split.train) {
    if (!INTERACTIONS.has(i.type)) continue;
    slot(customersOf, i.itemId, () => new Set()).add(i.customerId);
    slot(itemsOf, i.customerId, () => new Set()).add(i.itemId);
  }
  const items = [...customersOf.keys()].sort();
  // Scores equal to 9 places tie (the two ways of summing round differently), broken by id.
  const rank = (scores: Iterable<[string, number]>, k: number, excluded: ReadonlySet<string>) =>
    [...scores]
      .map(([id, s]): [string, number] => [id, Math.round(s * 1e9) / 1e9])
      .filter(([id, s]) => s > 0 && !excluded.has(id))
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, k)
      .map(([id]) => id);
  if (items.length <= denseMaxItems) {
    const n = items.length;
    const index = new Map(items.map((id, i) => [id, i]));
    const cosine = new Float64Array(n * n);
    for (const basket of itemsOf.values()) {
      const ids = [...basket].map((id) => index.get(id) as number);
      for (const a of ids)
        for (const b of ids) cosine[a * n + b] = (cosine[a * n + b] as number) + 1;
    }
    const norm = items.map((id) => 1 / Math.sqrt(customersOf.get(id)?.size ?? 1));
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++)
        cosine[a * n + b] =
          (cosine[a * n + b] as number) * (norm[a] as number) * (norm[b] as number);
    const sums = new Float64Array(n);
    return async (_c, history, k, excluded) => {
      sums.fill(0);
      for (const h of new Set(history.map((x) => x.itemId))) {
        const a = index.get(h);
        if (a === undefined) continue;
        const row = cosine.subarray(a * n, (a + 1) * n);
        for (let b = 0; b < n; b++) sums[b] = (sums[b] as number) + (row[b] as number);
      }
      return rank(
        items.map((id, b) => [id, sums[b] as number]),
        k,
        excluded,
      );
    };
  }
  return async (_c, history, k, excluded) => {
    // Σ_h |U_i ∩ U_h| / sqrt(|U_i| |U_h|), accumulated customer by customer.
    const overlap = new Map<string, number>();
    for (const h of new Set(history.map((x) => x.itemId))) {
      const users = customersOf.get(h);
      if (!users) continue;
      const norm = 1 / Math.sqrt(users.size);
      for (const u of users) {
        for (const item of itemsOf.get(u) ?? []) {
          overlap.set(item, (overlap.get(item) ?? 0) + norm);
        }
      }
    }
    return rank(
      [...overlap].map(([id, sum]) => [id, sum / Math.sqrt(customersOf.get(id)?.size ?? 1)]),
      k,
      excluded,
    );
  };
}

/**
 * Baseline: EASE (see `ease.ts`) on the training baskets (each customer's
 * distinct touched items); undefined when the log has more items than
 * {@link EASE_MAX_ITEMS}.
 */
export function easeBaseline(split: Split, lambda = EASE_LAMBDA): Recommender | undefined {
  const baskets = new Map<string, Set<string>>();
  for (const i of split.train) {
    if (INTERACTIONS.has(i.type)) slot(baskets, i.customerId, () => new Set()).add(i.itemId);
  }
  const items = new Set([...baskets.values()].flatMap((b) => [...b]));
  if (items.size > EASE_MAX_ITEMS) return undefined;
  const model = fitEase(
    [...baskets.values()].map((b) => [...b]),
    lambda,
  );
  return async (_c, history, k, excluded) =>
    [
      ...easeScores(
        model,
        history.map((h) => h.itemId),
      ),
    ]
      .filter(([id]) => !excluded.has(id))
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, k)
      .map(([id]) => id);
}

/**
 * The demo shop `npm run eval:recs` evaluates on by default, shaped like the
 * real retail log the protocol was set on (about 4,000 customers, 1,800
 * items, 400,000 events over four months: long-tailed popularity, seasonal
 * items, complements shopped together, repeat purchases).
 */
export const EVAL_DEMO_SEED: SeedOptions = {
  customers: 4000,
  days: 120,
  events: 400_000,
  itemsPerCategory: 300,
  seed: 1,
  end: new Date('2026-11-01T00:00:00Z'),
};

/** Days before the demo's end that `npm run eval:recs` cuts at by default (truth: first purchases after it). */
export const EVAL_DEMO_TEST_DAYS = 21;

/**
 * The recommendation signals the nightly job would hold after these events:
 * each UTC day of the signals window (the last {@link SIGNAL_WINDOW_DAYS})
 * mapped as the job maps it, then the signals built as of the last day
 * (`fallbackDay` when there are no events).
 */
export function signalsFromEvents(
  events: readonly EngagementEvent[],
  catalog: CatalogIndex,
  fallbackDay: string,
  model?: Parameters<typeof buildSignals>[3],
): RecommendationSignals {
  const lastDay = events.reduce((max, e) => (e.ts > max ? e.ts : max), '').slice(0, 10);
  // Only the days the signals window reads are mapped.
  const firstDay = lastDay
    ? new Date(Date.parse(`${lastDay}T00:00:00Z`) - (SIGNAL_WINDOW_DAYS - 1) * 86_400_000)
        .toISOString()
        .slice(0, 10)
    : '';
  const byDay = new Map<string, EngagementEvent[]>();
  for (const e of events) {
    const day = e.ts.slice(0, 10);
    if (day < firstDay) continue;
    slot(byDay, day, () => []).push(e);
  }
  const days: ItemDay[] = [...byDay].map(([day, list]) => itemDayOf(day, mapEvents(list)));
  return buildSignals(lastDay || fallbackDay, days, (id) => catalog.items.get(id)?.category, model);
}

/**
 * Muse's hybrid on the split: nightly signals built from the training days
 * exactly as the nightly job builds them, then the engine (the protocol's
 * excluded items left out like the baselines, diversity 0 so the ranking is
 * compared as is).
 */
export function hybridRecommender(
  split: Split,
  catalog: readonly CatalogItem[],
  weights: BlendWeights,
  lm?: LmScorer,
): Recommender {
  const index = new CatalogIndex(catalog);
  const signals = signalsFromEvents(
    split.train.map((i, n) => ({
      eventId: `e${n}`,
      customerId: i.customerId,
      type: i.type,
      ts: i.ts,
      itemId: i.itemId,
    })),
    index,
    split.cutoff.slice(0, 10),
  );
  return async (_c, history, k, excluded) => {
    const out = await recommendItems(
      {
        history: history.map((h): Interaction => ({ itemId: h.itemId, type: h.type, ts: h.ts })),
        k,
        filters: { availableOnly: false, excludeSeen: split.truth === 'new-touch' },
        diversity: 0,
        exclude: [...excluded],
      },
      { catalog: index, signals, weights, ...(lm ? { lm } : {}) },
    );
    return out.items.map((i) => i.itemId);
  };
}
