import { mapLimit } from '../async.ts';
import type { CatalogStore } from '../catalog/store.ts';
import { updateExemplars, type VariantStore } from '../copy/variants.ts';
import { dict } from '../dict.ts';
import type { DayLayout } from '../events/keys.ts';
import type { EventStore } from '../events/store.ts';
import type { ErasureStore } from '../privacy/erasures.ts';
import type { RecommendationSignals } from '../recommend/signals.ts';
import { type AttributedCounts, attribute, byVariant, noAttributions } from './attribution.ts';
import type { BaseCounts } from './base.ts';
import { assessBaseBySegment, type BaseRun, type BySegmentOptions, loadBase } from './baseJob.ts';
import { applyCampaignDay, type CampaignStore, campaignTotals } from './campaignStore.ts';
import { type CampaignLearning, learnCampaigns } from './campaigns.ts';
import { checkShard, mapShard, type ReducedDay, type ShardStore } from './mapDay.ts';
import {
  type CustomerDay,
  type DayPartial,
  type DaySummary,
  emptySummary,
  mergeSummaryInto,
  summarizePartial,
  type VariantCounts,
} from './partial.ts';
import type { ProfileStore } from './profileStore.ts';
import { applyDay, type RfmScales } from './profiles.ts';
import { buildReport, type ReportStore, topItemsOf, trendFor } from './report.ts';
import { renderReportHtml, TREND_DAYS } from './reportHtml.ts';
import type { StoredObjectCompactor } from './reportsEraser.ts';
import { itemDayOf, type SignalStore, updateSignals } from './signals.ts';

/** Customers read, updated and written per step of the reduce. */
export const REDUCE_BATCH = 500;

/** The stores the nightly job works on. */
export interface NightlyDeps {
  events: EventStore;
  shards: ShardStore;
  profiles: ProfileStore;
  campaigns: CampaignStore;
  reports: ReportStore;
  signals: SignalStore;
  /** Catalog categories of the items in the signals. */
  catalog: Pick<CatalogStore, 'getItems'>;
  /** Registered copy variants and the exemplars learned from them. */
  variants: VariantStore;
  /** Pending erasures: left out of the day's results, then removed from every stored object. */
  erasures: Pick<ErasureStore, 'pending' | 'complete'>;
  /** The one writer that removes erased customers from stored reports and job files. */
  compactor: StoredObjectCompactor;
  /** ISO 4217 code of the amounts in reports. */
  currency: string;
}

/** What the steps after the map use: everything but the events table. */
export type ReduceDeps = Omit<NightlyDeps, 'events'>;

/** What one nightly run for a day produced. */
export interface NightlyResult {
  day: string;
  runId: string;
  events: number;
  /** Customers active that day (profile states updated). */
  customers: number;
  shards: { mapped: number[]; reused: number[] };
  /** Erasure requests completed by this run, and the stored rows and entries it removed. */
  erasures: { completed: number; rowsRemoved: number };
  campaigns: CampaignLearning[];
  /** The whole base as of the day: its counts and the RFM scales served summaries are scored against. */
  base: { counts: BaseCounts; scales: RfmScales; segments: number };
  /** The recommendation signals as of the day. */
  signals: RecommendationSignals;
}

/** The stores a shard's task works on: its events, its saved progress and its customers' profiles. */
export type ShardDeps = Pick<NightlyDeps, 'events' | 'shards' | 'profiles' | 'erasures'>;

/**
 * A shard's reduce: applies the day's activity to each of the shard's
 * active customers' profile states (idempotently: the day's previous
 * contribution is replaced), writes each state back as one item, and
 * credits the day's responses to their deliveries from the messages the
 * state keeps. Customers in `excluded` (pending erasures) are left out, so
 * an erased profile is never written back. Work is O(the shard's active
 * customers); returns the shard's summary, which names no customer.
 */
export async function reduceShard(
  profiles: ProfileStore,
  day: string,
  partial: DayPartial,
  excluded: ReadonlySet<string>,
): Promise<DaySummary> {
  const customers = dict<CustomerDay>();
  for (const [id, c] of Object.entries(partial.customers)) if (!excluded.has(id)) customers[id] = c;
  const ids = Object.keys(customers).sort();
  const attributed = dict<AttributedCounts>();
  for (let i = 0; i < ids.length; i += REDUCE_BATCH) {
    const batch = ids.slice(i, i + REDUCE_BATCH);
    const previous = await profiles.getStates(batch);
    const states = batch.map((id) => {
      const activity = customers[id];
      const next = applyDay(previous.get(id), id, day, activity);
      // The day's own messages, even where the state no longer keeps them (a re-run far back).
      if (activity?.messages)
        byVariant(attribute({ ...next.days, [day]: activity }, day, day), attributed);
      return next;
    });
    await profiles.putStates(states);
  }
  return summarizePartial({ ...partial, customers }, attributed);
}

/**
 * One shard of a run, end to end (the map Lambda in AWS): maps it, reduces
 * it into its customers' profiles and saves its summary. A shard whose summary this run already
 * saved is reused whole, so a retried or resumed run redoes only the shards
 * it had not finished; redoing a reduce is harmless (it replaces the day).
 */
export async function processShard(
  deps: ShardDeps,
  day: string,
  shard: number,
  runId: string,
  layout: DayLayout,
): Promise<{ summary: DaySummary; reused: boolean }> {
  const saved = await deps.shards.getSummary(day, shard);
  if (saved?.runId === runId && saved.shards === layout.shards) {
    return { summary: saved.summary, reused: true };
  }
  checkShard(day, shard, layout);
  // The partial is reduced at once, so it is not saved: a task that dies maps again, and no
  // object with the shard's customers is left behind.
  const partial = await mapShard(deps.events, day, shard, layout);
  const excluded = new Set((await deps.erasures.pending()).map((p) => p.customerId));
  const summary = await reduceShard(deps.profiles, day, partial, excluded);
  await deps.shards.putSummary(day, shard, { runId, shards: layout.shards, summary });
  return { summary, reused: false };
}

/** Options of {@link processDay}. */
export interface ProcessDayOptions {
  /** Shards processed at once (default 4). */
  concurrency?: number;
  onShard?: (shard: number, reused: boolean) => void;
}

/**
 * Every shard of a day in one process (the local and single-machine path;
 * in AWS a Distributed Map runs {@link processShard} once per shard), their
 * summaries merged as each completes: only `concurrency` shards' partials
 * are alive at once, never the day's customers.
 */
export async function processDay(
  deps: ShardDeps,
  day: string,
  runId: string,
  options: ProcessDayOptions = {},
): Promise<ReducedDay> {
  const layout = await deps.events.layoutOf(day);
  const summary = emptySummary();
  const processed: number[] = [];
  const reused: number[] = [];
  const shards = Array.from({ length: layout.shards }, (_, i) => i);
  await mapLimit(shards, options.concurrency ?? 4, async (shard) => {
    const done = await processShard(deps, day, shard, runId, layout);
    mergeSummaryInto(summary, done.summary);
    (done.reused ? reused : processed).push(shard);
    options.onShard?.(shard, done.reused);
  });
  return {
    day,
    shards: layout.shards,
    summary,
    processed: processed.sort((a, b) => a - b),
    reused: reused.sort((a, b) => a - b),
  };
}

/**
 * Adds the day's funnel to each campaign seen that day (replacing the day's
 * earlier counts on a re-run): the day's deliveries, and the responses of
 * the day credited to a delivery within the attribution window (a send on
 * Monday and its opens on Tuesday meet here). Learns from the campaign's
 * totals over all its days.
 */
export async function accumulateCampaigns(
  store: CampaignStore,
  day: string,
  summary: Pick<DaySummary, 'variants' | 'attributed'>,
): Promise<CampaignLearning[]> {
  const byCampaign = new Map<string, Record<string, VariantCounts>>();
  const keys = new Set([...Object.keys(summary.variants), ...Object.keys(summary.attributed)]);
  for (const key of keys) {
    // Responses that named no campaign are credited under their delivery's key, so a key of
    // theirs with no delivery that day holds nothing to learn from.
    if (!summary.variants[key]?.delivered && !summary.attributed[key]) continue;
    const [campaignId = '', variantId = ''] = key.split('|');
    const variants = byCampaign.get(campaignId) ?? dict<VariantCounts>();
    variants[variantId] = {
      delivered: summary.variants[key]?.delivered ?? 0,
      ...(summary.attributed[key] ?? noAttributions()),
    };
    byCampaign.set(campaignId, variants);
  }
  const ids = [...byCampaign.keys()].sort();
  if (ids.length === 0) return [];
  const previous = await store.getStates(ids);
  const states = ids.map((id) =>
    applyCampaignDay(previous.get(id), id, day, byCampaign.get(id) ?? dict()),
  );
  await store.putStates(states);
  return learnCampaigns(Object.assign(dict<VariantCounts>(), ...states.map(campaignTotals)));
}

/**
 * One nightly run for a UTC day: process every shard (map, then its
 * customers' profiles; resumable by `runId`), then the final step:
 * campaigns and their learning (updating the copy exemplars of each kind),
 * the recommendation signals, the whole base and the report under
 * `reports/<day>/`. Running a day again gives the same profiles (not
 * doubled counts); a new run id re-reads every shard and so picks up late
 * events.
 *
 * @example
 * ```ts
 * const result = await runNightly(deps, '2026-11-22', 'nightly-2026-11-22-1');
 * ```
 */
export async function runNightly(
  deps: NightlyDeps,
  day: string,
  runId: string,
  onShard?: ProcessDayOptions['onShard'],
  onSegment?: BySegmentOptions['onSegment'],
): Promise<NightlyResult> {
  const reduced = await processDay(deps, day, runId, onShard ? { onShard } : {});
  await assessBaseBySegment(deps, baseRunOf(reduced, runId), onSegment ? { onSegment } : {});
  return finishDay(deps, reduced, runId);
}

/** The pass over the base of a processed day: as many scan segments as the day has shards. */
export function baseRunOf(reduced: Pick<ReducedDay, 'day' | 'shards'>, runId: string): BaseRun {
  return { day: reduced.day, runId, segments: reduced.shards };
}

/**
 * The final step (the reduce Lambda in AWS), after every shard's reduce and
 * the pass over the base: campaigns, signals and the report of the day,
 * from the shards' merged summaries and the segments' merged counts. Holds
 * no customer: the lists were written in parts by the segments.
 */
export async function finishDay(
  deps: ReduceDeps,
  reduced: ReducedDay,
  runId: string,
): Promise<NightlyResult> {
  const { day, summary } = reduced;
  // Erasures asked for before now: their customers are left out of what this run writes…
  const pending = await deps.erasures.pending();
  const erased = new Set(pending.map((p) => p.customerId));
  // Every known customer as of the day, active or not, counted by the segments' tasks.
  const run = baseRunOf(reduced, runId);
  const base = await loadBase(deps, run);
  const campaigns = await accumulateCampaigns(deps.campaigns, day, summary);
  // Read once: the exemplars learn from them and the report quotes their copy.
  const variants = await deps.variants.getVariants(
    campaigns.flatMap((c) => c.variants.map((v) => v.variantId)),
  );
  await updateExemplars(deps.variants, campaigns, variants);
  const signals = await updateSignals(deps.signals, deps.catalog, itemDayOf(day, summary));
  const catalog = await deps.catalog.getItems(topItemsOf(summary).map(([id]) => id));
  const report = {
    ...buildReport(day, summary, base.counts, campaigns, {
      currency: deps.currency,
      titles: new Map([...catalog].map(([id, item]) => [id, item.title])),
      variantCopy: new Map([...variants].map(([id, v]) => [id, v.text])),
    }),
    csvParts: run.segments,
  };
  const html = await renderReportHtml(report, await trendFor(deps.reports, report, TREND_DAYS));
  await deps.reports.put(report, { html });
  // Served summaries move to this day unless a later day is already served (a re-run of the past).
  const scales = base.tally.scales.now;
  await deps.profiles.advanceAsOf({ day, scales });
  // …then removed from every stored report and job file, and the requests completed.
  const compacted = await deps.compactor.compact(erased);
  await deps.erasures.complete([...erased]);
  return {
    day,
    runId,
    events: summary.events,
    customers: summary.activeCustomers,
    shards: { mapped: reduced.processed, reused: reduced.reused },
    erasures: { completed: erased.size, rowsRemoved: compacted },
    campaigns,
    base: { counts: base.counts, scales, segments: run.segments },
    signals,
  };
}
