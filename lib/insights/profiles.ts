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
import { MESSAGE_KEEP_DAYS } from './attribution.ts';
import type { CustomerDay } from './partial.ts';
import {
  bestSlot,
  type ChurnRisk,
  churnRisk,
  decay,
  ENGAGEMENT_WEIGHTS,
  engagementScore,
  histogramScorer,
  MAX_RECENCY_DAYS,
  MIN_SEND_TIME_SAMPLE,
  moneyBucket,
  type Rate,
  recencyScore,
  type Segment,
  segmentOf,
  wilson,
} from './stats.ts';

/**
 * Days of per-day activity a profile keeps: the longest summary window (90)
 * plus the week the nightly report compares against, so the base's
 * movement since a week ago is computed from whole windows.
 */
export const PROFILE_WINDOW_DAYS = 97;
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
  const latest = dayNumber(next.latestDay);
  for (const [d, a] of Object.entries(next.days)) {
    const n = dayNumber(d);
    if (n <= latest - PROFILE_WINDOW_DAYS) delete next.days[d];
    else if (a.messages && n <= latest - MESSAGE_KEEP_DAYS) {
      // Attribution needs messages of a few days only; the rest of the day's facts stay.
      const { messages: _, ...facts } = a;
      next.days[d] = facts;
    }
  }
  return next;
}

/** Counts of a summary window. */
export interface WindowCounts {
  counts: Partial<Record<EventType, number>>;
  revenue: number;
  activeDays: number;
  /** Distinct days with a purchase (RFM frequency: a basket of 5 items is one visit, not 5). */
  purchaseDays: number;
}

/** RFM scores (1–5) and segment. */
export interface Rfm {
  r: number;
  f: number;
  m: number;
  segment: Segment;
}

/**
 * The base's F and M distributions as of a day, as histograms over purchase
 * days (90-day frequency) and {@link moneyBucket} (90-day revenue); R needs
 * none ({@link recencyScore}). Small (≤ ~400 counts whatever the base size) and mergeable by addition: the nightly job counts
 * them over every known customer and stores them, and any summary read
 * later is scored against them.
 */
export interface RfmScales {
  f: number[];
  m: number[];
}

/** A customer's best send time: the busiest UTC hour and weekday of their opens and clicks. */
export interface SendTime {
  hourUtc: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Opens and clicks in the last 90 days it is computed from (at least {@link MIN_SEND_TIME_SAMPLE}). */
  n: number;
}

/** A customer's insight summary. */
export interface CustomerSummary {
  customerId: string;
  /** The day the summary describes (end of every window): the latest processed day when served. */
  asOf: string;
  windows: { d7: WindowCounts; d30: WindowCounts; d90: WindowCounts };
  /** 90-day rates, each with its sample size: opens and clicks per delivered message, purchases per view. */
  rates: { open: Rate; click: Rate; conversion: Rate };
  /** Totals up to `asOf` (activity of later days is not counted). */
  lifetime: { revenue: number; activeDays: number; firstSeen: string; lastSeen: string };
  /** Whole days from the last activity to the end of `asOf`. */
  recencyDays: number;
  /** 0–100 on a log scale (see {@link engagementScore}), decayed with a 14-day half-life. */
  engagement: number;
  churnRisk: ChurnRisk;
  usualGapDays: number;
  topItems: Array<{ itemId: string; views: number; purchases: number }>;
  preferredChannel?: string;
  /** Absent below {@link MIN_SEND_TIME_SAMPLE} opens and clicks. */
  bestSendTime?: SendTime;
  /** Absent when the summary was made without the base's scales. */
  rfm?: Rfm;
  /** Two or three sentences written from the numbers above. */
  text: string;
}

/** Mean days between active days (over the days given), or the default for fewer than two. */
function usualGap(days: ReadonlyArray<[number, CustomerDay]>, defaultGapDays: number): number {
  if (days.length < 2) return defaultGapDays;
  const ages = days.map(([age]) => age);
  return (Math.max(...ages) - Math.min(...ages)) / (days.length - 1);
}

const roundGap = (days: number) => Math.round(days * 10) / 10;

/** A profile's days up to `asOf` (day number), with their age in days. */
function daysUpTo(state: ProfileState, asOf: number): Array<[number, CustomerDay]> {
  const out: Array<[number, CustomerDay]> = [];
  for (const [day, activity] of Object.entries(state.days)) {
    const age = asOf - dayNumber(day);
    if (age >= 0) out.push([age, activity]);
  }
  return out;
}

function windowOf(days: ReadonlyArray<[number, CustomerDay]>, length: number): WindowCounts {
  const out: WindowCounts = { counts: {}, revenue: 0, activeDays: 0, purchaseDays: 0 };
  let cents = 0;
  for (const [age, activity] of days) {
    if (age >= length) continue;
    addCounts(out.counts, activity.counts, 1);
    cents += activity.revenueCents;
    out.activeDays++;
    if ((activity.counts.purchase ?? 0) > 0) out.purchaseDays++;
  }
  out.revenue = cents / 100;
  return out;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The plain-English summary: deterministic templates over the numbers, nothing invented. */
export function describeCustomer(s: Omit<CustomerSummary, 'text'>): string {
  const d30 = s.windows.d30;
  const d90 = s.windows.d90;
  const seen = s.recencyDays === 0 ? 'today' : `${plural(s.recencyDays, 'day')} ago`;
  const sentences = [
    `Active on ${d30.activeDays} of the last 30 days, last seen ${seen}; engagement ${s.engagement}/100, churn risk ${s.churnRisk}${s.rfm ? `, segment ${s.rfm.segment.replace('_', ' ')}` : ''}.`,
  ];
  const delivered = s.rates.open.trials;
  const purchases = d90.counts.purchase ?? 0;
  const parts: string[] = [];
  if (delivered > 0) {
    parts.push(
      `opened ${s.rates.open.successes} of ${plural(delivered, 'message')} (${Math.round((s.rates.open.rate ?? 0) * 100)} %) and clicked ${s.rates.click.successes}`,
    );
  }
  parts.push(
    purchases > 0
      ? `bought ${plural(purchases, 'time')} on ${plural(d90.purchaseDays, 'day')} for ${d90.revenue.toFixed(2)}`
      : 'made no purchase',
  );
  sentences.push(`In the last 90 days they ${parts.join(', ')}.`);
  const habits: string[] = [];
  if (s.bestSendTime) {
    const t = s.bestSendTime;
    habits.push(
      `most responsive around ${String(t.hourUtc).padStart(2, '0')}:00 UTC and on ${WEEKDAYS[t.weekday]}s (from ${t.n} opens and clicks)`,
    );
  }
  if (s.preferredChannel) habits.push(`mostly via ${s.preferredChannel}`);
  if (habits.length > 0) {
    const text = habits.join(', ');
    sentences.push(`${text.charAt(0).toUpperCase()}${text.slice(1)}.`);
  }
  return sentences.join(' ');
}

/** Timestamps of a customer's first and last activity up to a day. */
function seenUpTo(
  state: ProfileState,
  asOf: string,
  days: ReadonlyArray<[number, CustomerDay]>,
): { firstTs: string; lastTs: string } | undefined {
  const { firstTs, lastTs } = state.lifetime;
  if (!firstTs || firstTs.slice(0, 10) > asOf) return undefined;
  if (lastTs.slice(0, 10) <= asOf) return { firstTs, lastTs };
  // Later activity is known (a past day is being looked at): the latest day up to asOf.
  let latest: CustomerDay | undefined;
  let latestAge = Number.POSITIVE_INFINITY;
  for (const [age, activity] of days) {
    if (age < latestAge) {
      latest = activity;
      latestAge = age;
    }
  }
  return { firstTs, lastTs: latest?.lastTs ?? firstTs };
}

/** What RFM scoring and segmenting read of a customer as of a day. */
export interface RfmInput {
  recencyDays: number;
  usualGapDays: number;
  purchaseDays: number;
  revenue: number;
  /** Days since first seen. */
  ageDays: number;
}

/** RFM inputs of a summary. */
export function rfmInputOf(s: Omit<CustomerSummary, 'text'>): RfmInput {
  return {
    recencyDays: s.recencyDays,
    usualGapDays: s.usualGapDays,
    purchaseDays: s.windows.d90.purchaseDays,
    revenue: s.windows.d90.revenue,
    ageDays: Math.max(0, dayNumber(s.asOf) - dayNumber(s.lifetime.firstSeen.slice(0, 10))),
  };
}

/**
 * A profile as seen on `asOf`: its days up to then (with their age), first
 * and last seen, recency and the 90-day window; undefined when the customer
 * is not in the base that day. The one start of {@link summarize} and
 * {@link rfmInputAt}.
 */
function viewAt(state: ProfileState, asOf: string) {
  const today = dayNumber(asOf);
  const days = daysUpTo(state, today).filter(([age]) => age < PROFILE_WINDOW_DAYS);
  const seen = seenUpTo(state, asOf, days);
  if (!seen) return undefined;
  const recencyDays = Math.max(0, today - dayNumber(seen.lastTs.slice(0, 10)));
  if (recencyDays > MAX_RECENCY_DAYS) return undefined;
  const in90 = days.filter(([age]) => age < 90);
  return { today, seen, recencyDays, in90, d90: windowOf(in90, 90) };
}

/**
 * The RFM inputs of a profile as of a day, without the rest of a summary
 * (the same as {@link rfmInputOf} of {@link summarize}, for less work):
 * how the nightly report scores the base of earlier days. Undefined when
 * the customer is not in the base on that day.
 */
export function rfmInputAt(
  state: ProfileState,
  asOf: string,
  defaultGapDays = DEFAULT_USUAL_GAP_DAYS,
): RfmInput | undefined {
  const view = viewAt(state, asOf);
  if (!view) return undefined;
  const { today, seen, recencyDays, in90, d90 } = view;
  return {
    recencyDays,
    usualGapDays: roundGap(usualGap(in90, defaultGapDays)),
    purchaseDays: d90.purchaseDays,
    revenue: d90.revenue,
    ageDays: Math.max(0, today - dayNumber(seen.firstTs.slice(0, 10))),
  };
}

/** A summary scored by `score` (its RFM and the text that names the segment). */
export function withRfm(summary: CustomerSummary, score: RfmScorer): CustomerSummary {
  const { text: _text, ...rest } = summary;
  const scored = { ...rest, rfm: score(rfmInputOf(rest)) };
  return { ...scored, text: describeCustomer(scored) };
}

/** An empty set of {@link RfmScales}. */
export function emptyScales(): RfmScales {
  return { f: [], m: [] };
}

const bump = (counts: number[], bucket: number) => {
  for (let i = counts.length; i <= bucket; i++) counts.push(0);
  counts[bucket] = (counts[bucket] as number) + 1;
};

/** Counts one customer into `scales` (in place). */
export function addToScales(scales: RfmScales, input: RfmInput): void {
  bump(scales.f, input.purchaseDays);
  bump(scales.m, moneyBucket(input.revenue));
}

/** The sum of two sets of scales (shards' counts merge into the base's). */
export function mergeScales(a: RfmScales, b: RfmScales): RfmScales {
  const sum = (x: number[], y: number[]) =>
    Array.from({ length: Math.max(x.length, y.length) }, (_, i) => (x[i] ?? 0) + (y[i] ?? 0));
  return { f: sum(a.f, b.f), m: sum(a.m, b.m) };
}

/** Scores an RFM input against the base's scales. */
export type RfmScorer = (input: RfmInput) => Rfm;

/**
 * A scorer against `scales`: recency against the customer's own usual gap
 * ({@link recencyScore}), frequency (distinct purchase days in 90) and
 * monetary (90-day revenue) each 1–5 by mid-rank quintile over the base
 * ({@link histogramScorer}), then the segment by {@link segmentOf} (which
 * also asks for minimum purchase days).
 */
export function rfmScorer(scales: RfmScales): RfmScorer {
  const f = histogramScorer(scales.f);
  const m = histogramScorer(scales.m);
  return (input) => {
    const scores = {
      r: recencyScore(input.recencyDays, input.usualGapDays),
      f: f(input.purchaseDays),
      m: m(moneyBucket(input.revenue)),
    };
    return { ...scores, segment: segmentOf({ ...scores, ...input }) };
  };
}

/**
 * The summary of a profile as of a day, every time-relative field (recency,
 * windows, engagement decay, churn risk, segment) computed for that day
 * whether or not the customer was active on it; activity after `asOf` is
 * left out. Undefined when the customer was first seen after `asOf` or last
 * seen more than {@link MAX_RECENCY_DAYS} before it (outside the base). With
 * `score` (a {@link rfmScorer} over the base as of `asOf`) the summary has
 * its RFM scores and segment. `usualGapDays` falls back to `defaultGapDays`
 * for a customer with a single active day.
 *
 * @example
 * ```ts
 * const summary = summarize(state, '2026-11-22', rfmScorer(scales));
 * ```
 */
export function summarize(
  state: ProfileState,
  asOf: string,
  score?: RfmScorer,
  defaultGapDays = DEFAULT_USUAL_GAP_DAYS,
): CustomerSummary | undefined {
  const view = viewAt(state, asOf);
  if (!view) return undefined;
  const { today, seen, recencyDays, in90, d90 } = view;
  const usualGapDays = usualGap(in90, defaultGapDays);
  let weight = 0;
  const hours = new Array<number>(24).fill(0);
  const weekdays = new Array<number>(7).fill(0);
  const channels = dict<number>();
  const items = dict<{ views: number; purchases: number }>();
  let later = { cents: 0, activeDays: 0 };
  for (const [day, a] of Object.entries(state.days)) {
    if (dayNumber(day) > today)
      later = { cents: later.cents + a.revenueCents, activeDays: later.activeDays + 1 };
  }
  for (const [age, a] of in90) {
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
  const sample = hours.reduce((sum, n) => sum + n, 0);
  const bestHour = bestSlot(hours);
  const bestWeekday = bestSlot(weekdays);
  const channel = Object.entries(channels).sort(
    (a, b) => b[1] - a[1] || a[0].localeCompare(b[0]),
  )[0];
  const delivered = d90.counts.delivered ?? 0;
  const base: Omit<CustomerSummary, 'text'> = {
    customerId: state.customerId,
    asOf,
    windows: { d7: windowOf(in90, 7), d30: windowOf(in90, 30), d90 },
    rates: {
      open: wilson(d90.counts.open ?? 0, delivered),
      click: wilson(d90.counts.click ?? 0, delivered),
      conversion: wilson(d90.counts.purchase ?? 0, d90.counts.view ?? 0),
    },
    lifetime: {
      revenue: (state.lifetime.revenueCents - later.cents) / 100,
      activeDays: state.lifetime.activeDays - later.activeDays,
      firstSeen: seen.firstTs,
      lastSeen: seen.lastTs,
    },
    recencyDays,
    engagement: engagementScore(weight),
    churnRisk: churnRisk(recencyDays, roundGap(usualGapDays)),
    usualGapDays: roundGap(usualGapDays),
    topItems: Object.entries(items)
      .map(([itemId, v]) => ({ itemId, ...v }))
      .sort(
        (a, b) =>
          b.purchases - a.purchases || b.views - a.views || a.itemId.localeCompare(b.itemId),
      )
      .slice(0, 5),
    ...(channel ? { preferredChannel: channel[0] } : {}),
    ...(sample >= MIN_SEND_TIME_SAMPLE && bestHour !== undefined && bestWeekday !== undefined
      ? { bestSendTime: { hourUtc: bestHour, weekday: bestWeekday, n: sample } }
      : {}),
  };
  const scored = score ? { ...base, rfm: score(rfmInputOf(base)) } : base;
  return { ...scored, text: describeCustomer(scored) };
}
