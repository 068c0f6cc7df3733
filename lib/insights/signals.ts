/**
 * Recommendation signals the nightly job keeps across days for
 * "Recommendations": co-visitation neighbours per item, popularity (overall
 * and per category) and trending items. Each night stores the day's item
 * activity (no customer ids) and rebuilds the signals from the last
 * {@link SIGNAL_WINDOW_DAYS} days: O(items active in the window), never
 * O(all history), and re-running a day replaces that day's contribution.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { KEYS } from '../aws/resources.ts';
import { getJson, putJson } from '../aws/s3json.ts';
import type { CatalogItem } from '../catalog/schema.ts';
import { windowEndingAt } from '../days.ts';
import { dict } from '../dict.ts';
import { easeWeights } from '../recommend/ease.ts';
import type {
  Neighbour,
  Popular,
  RecommendationSignals,
  SignalReader,
} from '../recommend/signals.ts';
import { topIndices } from '../topK.ts';
import type { DayPartial, ItemCounts } from './partial.ts';

/** Days of item activity the signals are built from. */
export const SIGNAL_WINDOW_DAYS = 28;
/** Days that count as "recent" for trending (the rest of the window is the baseline). */
export const TRENDING_RECENT_DAYS = 7;
/** Half-life of an interaction's weight in popularity and co-visitation, in days. */
export const SIGNAL_HALF_LIFE_DAYS = 14;
/** Neighbours kept per item. */
export const NEIGHBOURS_PER_ITEM = 20;
/** Items kept per popularity list and in the trending list. */
export const SIGNAL_LIST_SIZE = 20;
/** Weighted recent interactions an item needs before it can trend. */
export const TRENDING_MIN_RECENT = 5;
/**
 * Items the nightly item-item model is fitted on: the window's most
 * session-active. Two dense n × n matrices of 8-byte numbers (64 MB at
 * 2,000) and ~5n³/6 multiply-adds: 6–9 s at 2,000 and 35 s at 3,000 on
 * one core here (README, "Recommendations"). Less active items keep their
 * co-visit neighbours, scaled alike.
 */
export const SIGNAL_MODEL_MAX_ITEMS = 2000;
/** EASE's λ on the window's age-weighted session counts (tuned with `npm run eval:recs`, see README). */
export const SIGNAL_MODEL_LAMBDA = 300;
/** Weight of a view, an add-to-cart and a purchase in an item's interaction score. */
export const INTERACTION_WEIGHTS = { views: 1, carts: 3, purchases: 5 } as const;

/** One day's item activity, as stored for the window (no customer ids). */
export interface ItemDay {
  day: string;
  items: Record<string, ItemCounts>;
  /** Co-visited pairs `<a>|<b>` (a < b) and how many sessions held both. */
  coVisits: Record<string, number>;
}

/**
 * The item activity of a mapped day, keys sorted: shard partials merge in
 * completion order, and a re-run must write the same bytes.
 */
export const itemDayOf = (
  day: string,
  partial: Pick<DayPartial, 'items' | 'coVisits'>,
): ItemDay => ({
  day,
  items: sortedByKey(partial.items),
  coVisits: sortedByKey(partial.coVisits),
});

const sortedByKey = <V>(record: Record<string, V>): Record<string, V> =>
  dict(Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));

/** An item's weighted interactions (see {@link INTERACTION_WEIGHTS}). */
export const interactions = (c: ItemCounts) =>
  c.views * INTERACTION_WEIGHTS.views +
  c.carts * INTERACTION_WEIGHTS.carts +
  c.purchases * INTERACTION_WEIGHTS.purchases;

const byScore = <T extends { score: number; itemId: string }>(a: T, b: T) =>
  b.score - a.score || a.itemId.localeCompare(b.itemId);

/** The UTC days of the window ending at `day` (oldest first). */
export function windowDays(day: string, length = SIGNAL_WINDOW_DAYS): string[] {
  return windowEndingAt(day, length);
}

/**
 * Builds the signals as of `day` from the window's item days (any order;
 * days outside the window are ignored) and the catalog categories of the
 * items. Pure and deterministic.
 */
export function buildSignals(
  day: string,
  days: readonly ItemDay[],
  categoryOf: (itemId: string) => string | undefined,
  model: { lambda?: number; maxItems?: number } = {},
): RecommendationSignals {
  const window = windowDays(day);
  const ageOf = new Map(window.map((d, i) => [d, window.length - 1 - i]));
  const popularity = new Map<string, number>();
  const recent = new Map<string, number>();
  const baseline = new Map<string, number>();
  const pairs = new Map<string, { sessions: number; score: number }>();
  /** Age-weighted sessions per item: the model's diagonal. */
  const occurrences = new Map<string, number>();
  let daysWithData = 0;
  for (const itemDay of days) {
    const age = ageOf.get(itemDay.day);
    if (age === undefined) continue;
    daysWithData++;
    const weight = 0.5 ** (age / SIGNAL_HALF_LIFE_DAYS);
    const bucket = age < TRENDING_RECENT_DAYS ? recent : baseline;
    for (const [id, counts] of Object.entries(itemDay.items)) {
      const n = interactions(counts);
      popularity.set(id, (popularity.get(id) ?? 0) + n * weight);
      bucket.set(id, (bucket.get(id) ?? 0) + n);
      // Days stored before sessions were counted: each view or purchase stands for one.
      const sessions = counts.sessions ?? counts.views + counts.purchases;
      if (sessions > 0) occurrences.set(id, (occurrences.get(id) ?? 0) + sessions * weight);
    }
    for (const [pair, sessions] of Object.entries(itemDay.coVisits)) {
      const p = pairs.get(pair) ?? { sessions: 0, score: 0 };
      p.sessions += sessions;
      p.score += sessions * weight;
      pairs.set(pair, p);
    }
  }

  const neighbours = itemItemNeighbours(pairs, occurrences, model.lambda, model.maxItems);

  const ranked = [...popularity].map(([itemId, score]) => ({ itemId, score })).sort(byScore);
  const popularByCategory = dict<Popular[]>();
  for (const p of ranked) {
    const category = categoryOf(p.itemId);
    if (category === undefined) continue;
    const list = popularByCategory[category] ?? [];
    if (list.length < SIGNAL_LIST_SIZE) list.push(p);
    popularByCategory[category] = list;
  }

  const recentDays = Math.min(TRENDING_RECENT_DAYS, window.length);
  const baselineDays = Math.max(1, window.length - recentDays);
  const trending = [...recent]
    .filter(([, n]) => n >= TRENDING_MIN_RECENT)
    .map(([itemId, n]) => {
      const recentPerDay = n / recentDays;
      const baselinePerDay = (baseline.get(itemId) ?? 0) / baselineDays;
      return {
        itemId,
        recentPerDay,
        baselinePerDay,
        lift: (recentPerDay + 1) / (baselinePerDay + 1),
      };
    })
    .filter((t) => t.lift > 1)
    .sort((a, b) => b.lift - a.lift || a.itemId.localeCompare(b.itemId))
    .slice(0, SIGNAL_LIST_SIZE);

  return {
    day,
    windowDays: window.length,
    daysWithData,
    neighbours,
    popular: ranked.slice(0, SIGNAL_LIST_SIZE),
    popularity: dict(Object.fromEntries(ranked.map((p) => [p.itemId, p.score]))),
    popularByCategory,
    trending,
  };
}

/**
 * Each item's neighbours under the item-item model: EASE (`ease.ts`) fitted
 * to the window's sessions (G_ij: age-weighted sessions holding both items,
 * G_ii: holding i) on the {@link SIGNAL_MODEL_MAX_ITEMS} most active items,
 * keeping each item's {@link NEIGHBOURS_PER_ITEM} largest positive weights.
 * A pair with an item outside the model weighs what EASE gives two items
 * alone, G_ij / (G_jj + λ). Deterministic: items are indexed in id order.
 */
export function itemItemNeighbours(
  pairs: ReadonlyMap<string, { sessions: number; score: number }>,
  occurrences: ReadonlyMap<string, number>,
  lambda = SIGNAL_MODEL_LAMBDA,
  maxItems = SIGNAL_MODEL_MAX_ITEMS,
): Record<string, Neighbour[]> {
  const modelled = [...occurrences]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxItems)
    .map(([id]) => id)
    .sort();
  const n = modelled.length;
  const index = new Map(modelled.map((id, i) => [id, i]));
  const gram = new Float64Array(n * n);
  for (const [i, id] of modelled.entries()) gram[i * n + i] = occurrences.get(id) ?? 0;
  const lists = new Map<string, Neighbour[]>();
  const link = (from: string, to: string, p: { sessions: number; score: number }, w: number) => {
    const list = lists.get(from) ?? [];
    list.push({ itemId: to, sessions: p.sessions, score: p.score, weight: w });
    lists.set(from, list);
  };
  const none = { sessions: 0, score: 0 };
  for (const [pair, p] of pairs) {
    const [a = '', b = ''] = pair.split('|');
    const ia = index.get(a);
    const ib = index.get(b);
    if (ia !== undefined && ib !== undefined) {
      gram[ia * n + ib] = p.score;
      gram[ib * n + ia] = p.score;
      continue;
    }
    link(a, b, p, p.score / ((occurrences.get(b) ?? 0) + lambda));
    link(b, a, p, p.score / ((occurrences.get(a) ?? 0) + lambda));
  }
  const weights = easeWeights(gram, n, lambda);
  for (let i = 0; i < n; i++) {
    const from = modelled[i] as string;
    // Only each row's best NEIGHBOURS_PER_ITEM become objects (not all n − 1 weights).
    const row = weights.subarray(i * n, (i + 1) * n);
    for (const j of topIndices(row, NEIGHBOURS_PER_ITEM)) {
      const w = row[j] as number;
      if (w <= 0) break; // largest first: the rest are not positive either
      const to = modelled[j] as string;
      link(from, to, pairs.get(from < to ? `${from}|${to}` : `${to}|${from}`) ?? none, w);
    }
  }
  const out = dict<Neighbour[]>();
  const byWeight = (x: Neighbour, y: Neighbour) =>
    (y.weight ?? 0) - (x.weight ?? 0) || x.itemId.localeCompare(y.itemId);
  for (const id of [...lists.keys()].sort()) {
    out[id] = (lists.get(id) ?? []).sort(byWeight).slice(0, NEIGHBOURS_PER_ITEM);
  }
  return out;
}

/**
 * Where item days and signals live. One S3 implementation
 * ({@link S3SignalStore}); the nightly job writes, recommendations read.
 */
export interface SignalStore extends SignalReader {
  getItemDay(day: string): Promise<ItemDay | undefined>;
  putItemDay(itemDay: ItemDay): Promise<void>;
  /** Writes the signals of a day; they become the latest unless a later day's exist. */
  putSignals(signals: RecommendationSignals): Promise<void>;
}

/** S3 keys of the signal objects (in the reports bucket; they name no customer). */
export const signalKeys = {
  itemDay: KEYS.signalsItemDay,
  signals: KEYS.signals,
  latest: KEYS.latestSignals,
} as const;

/**
 * {@link SignalStore} on S3: `signals/days/<day>.json`, `signals/<day>.json`
 * and the pointer `signals/latest.json` (moved forward only, so re-running
 * an old day does not make its signals the latest).
 */
export class S3SignalStore implements SignalStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  getItemDay(day: string): Promise<ItemDay | undefined> {
    return getJson<ItemDay>(this.s3, this.bucket, signalKeys.itemDay(day));
  }

  putItemDay(itemDay: ItemDay): Promise<void> {
    return putJson(this.s3, this.bucket, signalKeys.itemDay(itemDay.day), itemDay);
  }

  async putSignals(signals: RecommendationSignals): Promise<void> {
    await putJson(this.s3, this.bucket, signalKeys.signals(signals.day), signals);
    const latest = await getJson<{ day: string }>(this.s3, this.bucket, signalKeys.latest);
    if (!latest || signals.day >= latest.day) {
      await putJson(this.s3, this.bucket, signalKeys.latest, { day: signals.day });
    }
  }

  async getSignals(day?: string): Promise<RecommendationSignals | undefined> {
    const which =
      day ?? (await getJson<{ day: string }>(this.s3, this.bucket, signalKeys.latest))?.day;
    return which === undefined
      ? undefined
      : getJson<RecommendationSignals>(this.s3, this.bucket, signalKeys.signals(which));
  }
}

/**
 * The nightly step: stores the day's item activity, reads the window's
 * other days and the catalog categories of the items in it, and writes the
 * signals as of the day.
 */
export async function updateSignals(
  store: SignalStore,
  catalog: { getItems(ids: readonly string[]): Promise<Map<string, CatalogItem>> },
  today: ItemDay,
): Promise<RecommendationSignals> {
  await store.putItemDay(today);
  const others = await Promise.all(
    windowDays(today.day)
      .slice(0, -1)
      .map((d) => store.getItemDay(d)),
  );
  const days = [...others.filter((d): d is ItemDay => d !== undefined), today];
  const ids = [...new Set(days.flatMap((d) => Object.keys(d.items)))];
  const items = await catalog.getItems(ids);
  const signals = buildSignals(today.day, days, (id) => items.get(id)?.category);
  await store.putSignals(signals);
  return signals;
}
