import type { CatalogStore } from '../catalog/store.ts';
import { updateExemplars, type VariantStore } from '../copy/variants.ts';
import { dict } from '../dict.ts';
import type { EventStore } from '../events/store.ts';
import type { ErasureStore } from '../privacy/erasures.ts';
import type { RecommendationSignals } from '../recommend/signals.ts';
import { type AttributedCounts, attribute, byVariant, noAttributions } from './attribution.ts';
import { assessBase, type BaseAssessment } from './base.ts';
import { applyCampaignDay, type CampaignStore, campaignTotals } from './campaignStore.ts';
import { type CampaignLearning, learnCampaigns } from './campaigns.ts';
import { customersCsv, winbackCsv } from './customersCsv.ts';
import { type MapDayOptions, type MappedDay, mapDay, type ShardStore } from './mapDay.ts';
import type { VariantCounts } from './partial.ts';
import type { ProfileStore } from './profileStore.ts';
import { applyDay } from './profiles.ts';
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
  /** The whole base as of the day: every known customer's summary, and the counts. */
  base: BaseAssessment;
  /** The recommendation signals as of the day. */
  signals: RecommendationSignals;
}

/** What the reduce stage did: the profiles it updated and the day's credited responses. */
export interface ReducedDay {
  /** Customers active that day (profile states updated). */
  customers: number;
  /** Unique responses of the day credited to a delivery, per `<campaignId>|<variantId>`. */
  attributed: Record<string, AttributedCounts>;
}

/**
 * The reduce stage: applies the day's activity to each active customer's
 * profile state (idempotently: the day's previous contribution is replaced)
 * and writes each state back as one item, and credits the day's responses
 * to their deliveries from the messages the state keeps. Work is O(the
 * day's active customers); the whole base is assessed afterwards by
 * {@link assessBase}.
 */
export async function reduceDay(
  deps: Pick<NightlyDeps, 'profiles'>,
  mapped: MappedDay,
): Promise<ReducedDay> {
  const { profiles } = deps;
  const { day } = mapped;
  const ids = Object.keys(mapped.partial.customers).sort();
  const attributed = dict<AttributedCounts>();
  for (let i = 0; i < ids.length; i += REDUCE_BATCH) {
    const batch = ids.slice(i, i + REDUCE_BATCH);
    const previous = await profiles.getStates(batch);
    const states = batch.map((id) => {
      const activity = mapped.partial.customers[id];
      const next = applyDay(previous.get(id), id, day, activity);
      // The day's own messages, even where the state no longer keeps them (a re-run far back).
      if (activity?.messages)
        byVariant(attribute({ ...next.days, [day]: activity }, day, day), attributed);
      return next;
    });
    await profiles.putStates(states);
  }
  return { customers: ids.length, attributed };
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
  mapped: MappedDay,
  attributed: Readonly<Record<string, AttributedCounts>>,
): Promise<CampaignLearning[]> {
  const byCampaign = new Map<string, Record<string, VariantCounts>>();
  const keys = new Set([...Object.keys(mapped.partial.variants), ...Object.keys(attributed)]);
  for (const key of keys) {
    const [campaignId = '', variantId = ''] = key.split('|');
    const variants = byCampaign.get(campaignId) ?? dict<VariantCounts>();
    variants[variantId] = {
      delivered: mapped.partial.variants[key]?.delivered ?? 0,
      ...(attributed[key] ?? noAttributions()),
    };
    byCampaign.set(campaignId, variants);
  }
  const ids = [...byCampaign.keys()].sort();
  if (ids.length === 0) return [];
  const previous = await store.getStates(ids);
  const states = ids.map((id) =>
    applyCampaignDay(previous.get(id), id, mapped.day, byCampaign.get(id) ?? dict()),
  );
  await store.putStates(states);
  return learnCampaigns(Object.assign(dict<VariantCounts>(), ...states.map(campaignTotals)));
}

/**
 * One nightly run for a UTC day: map every shard (resumable by `runId`),
 * reduce into profiles, accumulate and learn from campaigns (updating the
 * copy exemplars of each kind), rebuild the
 * recommendation signals, write the report under `reports/<day>/`. Running a day again gives the
 * same profiles (not doubled counts); a new run id re-reads every shard and
 * so picks up late events.
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
  onShard?: MapDayOptions['onShard'],
): Promise<NightlyResult> {
  const mapped = await mapDay({ events: deps.events, shards: deps.shards }, day, {
    runId,
    ...(onShard ? { onShard } : {}),
  });
  return finishDay(deps, mapped, runId);
}

/**
 * The steps after the map (the reduce Lambda in AWS): profiles, campaigns
 * and the report for a mapped day.
 */
export async function finishDay(
  deps: ReduceDeps,
  mapped: MappedDay,
  runId: string,
): Promise<NightlyResult> {
  const { day } = mapped;
  // Erasures asked for before now: their customers are left out of what this run writes…
  const pending = await deps.erasures.pending();
  const erased = new Set(pending.map((p) => p.customerId));
  for (const id of erased) delete mapped.partial.customers[id];
  const reduced = await reduceDay(deps, mapped);
  // Every known customer as of the day, active or not.
  const base = await assessBase(deps.profiles.scanStates(), day, erased);
  const campaigns = await accumulateCampaigns(deps.campaigns, mapped, reduced.attributed);
  // Read once: the exemplars learn from them and the report quotes their copy.
  const variants = await deps.variants.getVariants(
    campaigns.flatMap((c) => c.variants.map((v) => v.variantId)),
  );
  await updateExemplars(deps.variants, campaigns, variants);
  const signals = await updateSignals(deps.signals, deps.catalog, itemDayOf(day, mapped.partial));
  const catalog = await deps.catalog.getItems([
    ...base.summaries.flatMap((s) => s.topItems.map((i) => i.itemId)),
    ...topItemsOf(mapped.partial).map(([id]) => id),
  ]);
  const report = buildReport(day, mapped.partial, base, campaigns, {
    currency: deps.currency,
    titles: new Map([...catalog].map(([id, item]) => [id, item.title])),
    variantCopy: new Map([...variants].map(([id, v]) => [id, v.text])),
  });
  const html = await renderReportHtml(report, await trendFor(deps.reports, report, TREND_DAYS));
  await deps.reports.put(report, {
    customers: customersCsv(base.summaries, catalog),
    winback: winbackCsv(base.summaries, catalog),
    html,
  });
  // Served summaries move to this day unless a later day is already served (a re-run of the past).
  await deps.profiles.advanceAsOf({ day, scales: base.scales });
  // …then removed from every stored report and job file, and the requests completed.
  const compacted = await deps.compactor.compact(erased);
  await deps.erasures.complete([...erased]);
  return {
    day,
    runId,
    events: mapped.partial.events,
    customers: reduced.customers,
    shards: { mapped: mapped.mapped, reused: mapped.reused },
    erasures: { completed: erased.size, rowsRemoved: compacted },
    campaigns,
    base,
    signals,
  };
}
