/**
 * Offline evaluation of recommendations on any interaction log: a
 * time-based split, then NDCG@10, recall@10 and catalog coverage of each
 * method on the same split, side by side (popularity, item-kNN, Muse's
 * hybrid). Pure; `npm run eval:recs` feeds it files or the demo seed.
 */

import type { CatalogItem } from '#lib/catalog/schema.ts';
import type { EngagementEvent, EventType } from '#lib/events/schema.ts';
import { mapEvents } from '#lib/insights/partial.ts';
import { buildSignals, type ItemDay, itemDayOf } from '#lib/insights/signals.ts';
import { CatalogIndex } from '#lib/recommend/catalogIndex.ts';
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

/** A time-based split: everything before `cutoff` trains, the rest tests. */
export interface Split {
  cutoff: string;
  train: LoggedInteraction[];
  test: LoggedInteraction[];
}

/** Splits at the time below which `1 − testFraction` of the interactions fall. */
export function timeSplit(log: readonly LoggedInteraction[], testFraction = 0.2): Split {
  const sorted = [...log].sort((a, b) => a.ts.localeCompare(b.ts));
  const cutoff = sorted[Math.floor(sorted.length * (1 - testFraction))]?.ts ?? '';
  return {
    cutoff,
    train: sorted.filter((i) => i.ts < cutoff),
    test: sorted.filter((i) => i.ts >= cutoff),
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

/** Share of the relevant items found in the first k. */
export function recallAt(
  recommended: readonly string[],
  relevant: ReadonlySet<string>,
  k = 10,
): number {
  if (relevant.size === 0) return 0;
  return recommended.slice(0, k).filter((id) => relevant.has(id)).length / relevant.size;
}

/** A method: the top items for a customer given their training history. */
export type Recommender = (
  customerId: string,
  history: readonly LoggedInteraction[],
  k: number,
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

/**
 * Evaluates a method: for each customer with training history and at least
 * one test interaction with an item they had not touched in training
 * (the relevant set), recommends `k` items and averages the metrics.
 */
export async function evaluate(
  split: Split,
  catalogSize: number,
  method: Recommender,
  k = 10,
): Promise<EvalResult> {
  const history = new Map<string, LoggedInteraction[]>();
  for (const i of split.train) {
    if (!INTERACTIONS.has(i.type)) continue;
    history.set(i.customerId, [...(history.get(i.customerId) ?? []), i]);
  }
  const relevant = new Map<string, Set<string>>();
  for (const i of split.test) {
    const seen = history.get(i.customerId);
    if (!seen || !INTERACTIONS.has(i.type) || seen.some((h) => h.itemId === i.itemId)) continue;
    relevant.set(i.customerId, (relevant.get(i.customerId) ?? new Set()).add(i.itemId));
  }
  let ndcg = 0;
  let recall = 0;
  const shown = new Set<string>();
  const users = [...relevant.keys()].sort();
  for (const customerId of users) {
    const rel = relevant.get(customerId) as Set<string>;
    const top = await method(customerId, history.get(customerId) ?? [], k);
    for (const id of top) shown.add(id);
    ndcg += ndcgAt(top, rel, k);
    recall += recallAt(top, rel, k);
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

/** Baseline: the most popular items in training (weighted view 1, cart 3, purchase 5) the customer has not touched. */
export function popularityBaseline(split: Split): Recommender {
  const score = new Map<string, number>();
  for (const i of split.train)
    score.set(i.itemId, (score.get(i.itemId) ?? 0) + (WEIGHT[i.type] ?? 0));
  const ranked = [...score]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([id]) => id);
  return async (_c, history, k) => {
    const seen = new Set(history.map((h) => h.itemId));
    return ranked.filter((id) => !seen.has(id)).slice(0, k);
  };
}

/**
 * Baseline: item-kNN, cosine similarity of items over the sets of customers
 * who touched them in training; a customer's score for an item is the sum of
 * its similarities to the items they touched.
 */
export function itemKnnBaseline(split: Split): Recommender {
  const users = new Map<string, Set<string>>();
  for (const i of split.train) {
    if (!INTERACTIONS.has(i.type)) continue;
    users.set(i.itemId, (users.get(i.itemId) ?? new Set()).add(i.customerId));
  }
  const items = [...users.keys()].sort();
  const sim = (a: string, b: string) => {
    const ua = users.get(a) as Set<string>;
    const ub = users.get(b) as Set<string>;
    let shared = 0;
    for (const u of ua) if (ub.has(u)) shared++;
    return shared / Math.sqrt(ua.size * ub.size);
  };
  return async (_c, history, k) => {
    const seen = new Set(history.map((h) => h.itemId));
    const scores = items
      .filter((id) => !seen.has(id))
      .map((id) => ({
        id,
        s: [...seen].reduce((sum, h) => sum + (users.has(h) ? sim(id, h) : 0), 0),
      }));
    return scores
      .sort((a, b) => b.s - a.s || a.id.localeCompare(b.id))
      .slice(0, k)
      .map((x) => x.id);
  };
}

/** The demo data `npm run eval:recs` (and the recommend benchmark) use by default. */
export const EVAL_DEMO_SEED: SeedOptions = {
  customers: 1000,
  days: 30,
  events: 60_000,
  seed: 1,
  end: new Date('2026-11-01T00:00:00Z'),
};

/**
 * The recommendation signals the nightly job would hold after these events:
 * each UTC day mapped as the job maps it, then the signals built as of the
 * last day (`fallbackDay` when there are no events).
 */
export function signalsFromEvents(
  events: readonly EngagementEvent[],
  catalog: CatalogIndex,
  fallbackDay: string,
): RecommendationSignals {
  const byDay = new Map<string, EngagementEvent[]>();
  for (const e of events) {
    const day = e.ts.slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), e]);
  }
  const days: ItemDay[] = [...byDay].map(([day, list]) => itemDayOf(day, mapEvents(list)));
  const lastDay = [...byDay.keys()].sort().at(-1) ?? fallbackDay;
  return buildSignals(lastDay, days, (id) => catalog.items.get(id)?.category);
}

/**
 * Muse's hybrid on the split: nightly signals built from the training days
 * exactly as the nightly job builds them, then the engine (seen items
 * excluded like the baselines, diversity 0 so the ranking is compared as is).
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
  return async (_c, history, k) => {
    const out = await recommendItems(
      {
        history: history.map((h): Interaction => ({ itemId: h.itemId, type: h.type, ts: h.ts })),
        k,
        filters: { availableOnly: false, excludeSeen: true },
        diversity: 0,
        exclude: [],
      },
      { catalog: index, signals, weights, ...(lm ? { lm } : {}) },
    );
    return out.items.map((i) => i.itemId);
  };
}
