import { dict } from '../dict.ts';
/**
 * Customer profiles: running state carried from night to night, and the
 * summary computed from it. The state keeps the last {@link PROFILE_WINDOW_DAYS}
 * days of per-day activity inline plus lifetime totals, so a night costs
 * O(that day's active customers), never O(history), and applying a day is
 * idempotent: the day's previous contribution is replaced, not added to.
 */

import { dayNumber } from '../days.ts';
import type { EventType } from '../events/schema.ts';
import type { CustomerDay } from './partial.ts';
import type { PopulationEntry } from './population.ts';
import {
  bestSlot,
  type ChurnRisk,
  churnRisk,
  decay,
  ENGAGEMENT_WEIGHTS,
  engagementScore,
  quintileScorer,
  type Rate,
  type Segment,
  segmentOf,
  wilson,
} from './stats.ts';

/** Days of per-day activity a profile keeps (the longest summary window). */
export const PROFILE_WINDOW_DAYS = 90;
/** Usual gap assumed for a customer with a single active day, unless the caller knows better. */
export const DEFAULT_USUAL_GAP_DAYS = 7;

/** Lifetime totals of a profile. */
export interface Lifetime {
  counts: Partial<Record<EventType, number>>;
  revenueCents: number;
  activeDays: number;
  firstTs: string;
  lastTs: string;
}

/** What is stored about a customer between nights. */
export interface ProfileState {
  customerId: string;
  /** Per-day activity of the last 90 days, by UTC day. */
  days: Record<string, CustomerDay>;
  lifetime: Lifetime;
  /** The latest day applied. */
  latestDay: string;
}

function addCounts(
  into: Partial<Record<EventType, number>>,
  counts: Partial<Record<EventType, number>>,
  sign: 1 | -1,
): void {
  for (const [type, n] of Object.entries(counts) as Array<[EventType, number]>) {
    const next = (into[type] ?? 0) + sign * n;
    if (next === 0) delete into[type];
    else into[type] = next;
  }
}

/**
 * Applies one day's activity of a customer (or none) to their state. The
 * day's earlier contribution, if any, is taken out first, so applying the
 * same day twice equals applying it once, and re-running a day after late
 * events adds only the difference. Days older than the window are dropped
 * from `days` (their counts stay in `lifetime`); re-running a day that old is
 * refused, since its earlier contribution is no longer known.
 *
 * @example
 * ```ts
 * const next = applyDay(previous, 'c-42', '2026-11-22', dayPartial.customers['c-42']);
 * ```
 */
export function applyDay(
  state: ProfileState | undefined,
  customerId: string,
  day: string,
  activity: CustomerDay | undefined,
): ProfileState {
  if (state && dayNumber(day) <= dayNumber(state.latestDay) - PROFILE_WINDOW_DAYS) {
    throw new RangeError(
      `Cannot re-apply ${day} to ${customerId}: it is more than ${PROFILE_WINDOW_DAYS} days before ${state.latestDay}, outside the profile window.`,
    );
  }
  const next: ProfileState = state
    ? {
        ...state,
        days: dict(state.days),
        lifetime: { ...state.lifetime, counts: { ...state.lifetime.counts } },
      }
    : {
        customerId,
        days: dict(),
        lifetime: {
          counts: {},
          revenueCents: 0,
          activeDays: 0,
          firstTs: activity?.firstTs ?? '',
          lastTs: activity?.lastTs ?? '',
        },
        latestDay: day,
      };
  const old = next.days[day];
  if (old) {
    addCounts(next.lifetime.counts, old.counts, -1);
    next.lifetime.revenueCents -= old.revenueCents;
    next.lifetime.activeDays -= 1;
    delete next.days[day];
  }
  if (activity) {
    addCounts(next.lifetime.counts, activity.counts, 1);
    next.lifetime.revenueCents += activity.revenueCents;
    next.lifetime.activeDays += 1;
    next.days[day] = activity;
    const { firstTs, lastTs } = next.lifetime;
    next.lifetime.firstTs = !firstTs || activity.firstTs < firstTs ? activity.firstTs : firstTs;
    next.lifetime.lastTs = !lastTs || activity.lastTs > lastTs ? activity.lastTs : lastTs;
  }
  if (day > next.latestDay) next.latestDay = day;
  const oldest = dayNumber(next.latestDay) - PROFILE_WINDOW_DAYS;
  for (const d of Object.keys(next.days)) if (dayNumber(d) <= oldest) delete next.days[d];
  return next;
}

/** Counts of a summary window. */
export interface WindowCounts {
  counts: Partial<Record<EventType, number>>;
  revenue: number;
  activeDays: number;
}

/** RFM scores (1–5) and segment. */
export interface Rfm {
  r: number;
  f: number;
  m: number;
  segment: Segment;
}

/** A customer's insight summary. */
export interface CustomerSummary {
  customerId: string;
  /** The day the summary describes (end of every window). */
  asOf: string;
  windows: { d7: WindowCounts; d30: WindowCounts; d90: WindowCounts };
  /** 90-day rates, each with its sample size: opens and clicks per delivered message, purchases per view. */
  rates: { open: Rate; click: Rate; conversion: Rate };
  lifetime: { revenue: number; activeDays: number; firstSeen: string; lastSeen: string };
  /** Whole days from the last activity to the end of `asOf`. */
  recencyDays: number;
  /** 0–100, decayed with a 14-day half-life. */
  engagement: number;
  churnRisk: ChurnRisk;
  usualGapDays: number;
  topItems: Array<{ itemId: string; views: number; purchases: number }>;
  preferredChannel?: string;
  /** UTC hour (0–23) and weekday (0 = Sunday) with the most opens and clicks. */
  bestHour?: number;
  bestWeekday?: number;
  rfm?: Rfm;
  /** Two or three sentences written from the numbers above. */
  text: string;
}

function windowOf(state: ProfileState, asOf: number, days: number): WindowCounts {
  const out: WindowCounts = { counts: {}, revenue: 0, activeDays: 0 };
  let cents = 0;
  for (const [day, activity] of Object.entries(state.days)) {
    const age = asOf - dayNumber(day);
    if (age < 0 || age >= days) continue;
    addCounts(out.counts, activity.counts, 1);
    cents += activity.revenueCents;
    out.activeDays++;
  }
  out.revenue = cents / 100;
  return out;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The plain-English summary: deterministic templates over the numbers, nothing invented. */
export function describeCustomer(s: Omit<CustomerSummary, 'text'>): string {
  const d30 = s.windows.d30;
  const d90 = s.windows.d90;
  const sentences = [
    `Active on ${d30.activeDays} of the last 30 days, last seen ${s.recencyDays === 0 ? 'today' : `${s.recencyDays} day${s.recencyDays === 1 ? '' : 's'} ago`}; engagement ${s.engagement}/100, churn risk ${s.churnRisk}${s.rfm ? `, segment ${s.rfm.segment.replace('_', ' ')}` : ''}.`,
  ];
  const delivered = s.rates.open.trials;
  const purchases = d90.counts.purchase ?? 0;
  const parts: string[] = [];
  if (delivered > 0) {
    parts.push(
      `opened ${s.rates.open.successes} of ${delivered} messages (${Math.round(s.rates.open.rate * 100)} %) and clicked ${s.rates.click.successes}`,
    );
  }
  parts.push(
    purchases > 0
      ? `bought ${purchases} time${purchases === 1 ? '' : 's'} for ${d90.revenue.toFixed(2)}`
      : 'made no purchase',
  );
  sentences.push(`In the last 90 days they ${parts.join(', ')}.`);
  const habits: string[] = [];
  if (s.bestHour !== undefined && s.bestWeekday !== undefined) {
    habits.push(
      `most responsive around ${String(s.bestHour).padStart(2, '0')}:00 UTC on ${WEEKDAYS[s.bestWeekday]}s`,
    );
  }
  if (s.preferredChannel) habits.push(`mostly via ${s.preferredChannel}`);
  if (habits.length > 0) {
    const text = habits.join(', ');
    sentences.push(`${text.charAt(0).toUpperCase()}${text.slice(1)}.`);
  }
  return sentences.join(' ');
}

/**
 * The summary of a profile as of a day. RFM needs the population and is
 * added by {@link withRfm}; `usualGapDays` falls back to `defaultGapDays` for
 * a customer with a single active day (pass the population's median).
 *
 * @example
 * ```ts
 * const summary = summarize(state, '2026-11-22');
 * ```
 */
export function summarize(
  state: ProfileState,
  asOf: string,
  defaultGapDays = DEFAULT_USUAL_GAP_DAYS,
): CustomerSummary {
  const today = dayNumber(asOf);
  const d90 = windowOf(state, today, 90);
  const activeDays = Object.keys(state.days)
    .map(dayNumber)
    .filter((d) => d <= today)
    .sort((a, b) => a - b);
  const usualGapDays =
    activeDays.length >= 2
      ? ((activeDays.at(-1) as number) - (activeDays[0] as number)) / (activeDays.length - 1)
      : defaultGapDays;
  const recencyDays = Math.max(0, today - dayNumber(state.lifetime.lastTs.slice(0, 10)));
  let weight = 0;
  const hours = new Array<number>(24).fill(0);
  const weekdays = new Array<number>(7).fill(0);
  const channels = dict<number>();
  const items = dict<{ views: number; purchases: number }>();
  for (const [day, a] of Object.entries(state.days)) {
    const age = today - dayNumber(day);
    if (age < 0 || age >= 90) continue;
    for (const [type, n] of Object.entries(a.counts) as Array<[EventType, number]>) {
      weight += (ENGAGEMENT_WEIGHTS[type] ?? 0) * n * decay(age);
    }
    a.hours.forEach((n, h) => {
      hours[h] = (hours[h] ?? 0) + n;
    });
    a.weekdays.forEach((n, w) => {
      weekdays[w] = (weekdays[w] ?? 0) + n;
    });
    for (const [c, n] of Object.entries(a.channels)) channels[c] = (channels[c] ?? 0) + n;
    for (const [id, v] of Object.entries(a.items)) {
      const mine = items[id] ?? { views: 0, purchases: 0 };
      items[id] = { views: mine.views + v.views, purchases: mine.purchases + v.purchases };
    }
  }
  const bestHour = bestSlot(hours);
  const bestWeekday = bestSlot(weekdays);
  const channel = Object.entries(channels).sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
  )[0];
  const delivered = d90.counts.delivered ?? 0;
  const base: Omit<CustomerSummary, 'text'> = {
    customerId: state.customerId,
    asOf,
    windows: { d7: windowOf(state, today, 7), d30: windowOf(state, today, 30), d90 },
    rates: {
      open: wilson(d90.counts.open ?? 0, delivered),
      click: wilson(d90.counts.click ?? 0, delivered),
      conversion: wilson(d90.counts.purchase ?? 0, d90.counts.view ?? 0),
    },
    lifetime: {
      revenue: state.lifetime.revenueCents / 100,
      activeDays: state.lifetime.activeDays,
      firstSeen: state.lifetime.firstTs,
      lastSeen: state.lifetime.lastTs,
    },
    recencyDays,
    engagement: engagementScore(weight),
    churnRisk: churnRisk(recencyDays, usualGapDays),
    usualGapDays: Math.round(usualGapDays * 10) / 10,
    topItems: Object.entries(items)
      .map(([itemId, v]) => ({ itemId, ...v }))
      .sort(
        (a, b) =>
          b.purchases - a.purchases || b.views - a.views || a.itemId.localeCompare(b.itemId),
      )
      .slice(0, 5),
    ...(channel ? { preferredChannel: channel[0] } : {}),
    ...(bestHour === undefined ? {} : { bestHour }),
    ...(bestWeekday === undefined ? {} : { bestWeekday }),
  };
  return { ...base, text: describeCustomer(base) };
}

/**
 * Adds RFM scores to summaries (all as of the same day): recency (days,
 * fewer is better), frequency (90-day purchases) and monetary (90-day
 * revenue), each 1–5 by quintile over `population` (default: the summaries
 * themselves), then the segment, and the text again so it names it.
 */
export function withRfm(
  summaries: readonly CustomerSummary[],
  population: readonly PopulationEntry[] = entriesOf(summaries),
): CustomerSummary[] {
  const asOf = summaries[0]?.asOf;
  if (!asOf) return [];
  const today = dayNumber(asOf);
  const r = quintileScorer(
    population.map((p) => Math.max(0, today - dayNumber(p.lastDay))),
    true,
  );
  const f = quintileScorer(population.map((p) => p.f));
  const m = quintileScorer(population.map((p) => p.m));
  return summaries.map((s) => {
    const scores = {
      r: r(s.recencyDays),
      f: f(s.windows.d90.counts.purchase ?? 0),
      m: m(s.windows.d90.revenue),
    };
    const rfm: Rfm = { ...scores, segment: segmentOf(scores.r, scores.f) };
    const { text: _text, ...rest } = s;
    return { ...rest, rfm, text: describeCustomer({ ...rest, rfm }) };
  });
}

/** The population entries of a day's summaries. */
export function entriesOf(summaries: readonly CustomerSummary[]): PopulationEntry[] {
  return summaries.map((s) => ({
    id: s.customerId,
    lastDay: s.lifetime.lastSeen.slice(0, 10),
    f: s.windows.d90.counts.purchase ?? 0,
    m: s.windows.d90.revenue,
  }));
}
