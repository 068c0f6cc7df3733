/**
 * The whole customer base as of a day: every known customer (last seen
 * within {@link MAX_RECENCY_DAYS}) summarised for that day, active on it or
 * not, scored against the base's RFM scales, and counted by segment and
 * churn risk with the movement since the day and the week before. Two
 * passes over the profiles (tally the scales, then score against the merged
 * scales), each a fold that the nightly job runs per scan segment and
 * merges: the tallies add up, and so do the scores. Exact: the RFM
 * boundaries come from the whole base's histograms, not a sketch.
 */
import { addDays } from '../days.ts';
import { addToMessageFunnel, emptyMessageFunnel, type MessageFunnel } from './attribution.ts';
import {
  addToScales,
  type CustomerSummary,
  emptyScales,
  mergeScales,
  type ProfileState,
  type RfmScales,
  rfmInputAt,
  rfmInputOf,
  rfmScorer,
  summarize,
  withRfm,
} from './profiles.ts';
import { type ChurnRisk, type Segment, WINBACK_SEGMENTS } from './stats.ts';

/** The earlier days the base is compared with, in days before the report day. */
export const MOVEMENT_DAYS = { day: 1, week: 7 } as const;

/** How the base moved since an earlier day. */
export interface Movement {
  /** The earlier day. */
  since: string;
  /** Customers per segment on that day (scored against that day's base). */
  segments: Partial<Record<Segment, number>>;
  /** Customers at_risk now who were not then (new customers included). */
  enteredAtRisk: number;
  /** Customers in a win-back segment (at_risk, hibernating, lost) then who have been active since. */
  cameBack: number;
}

/** The base's counts on a day. */
export interface BaseCounts {
  /** Known customers (last seen within the recency cap). */
  customers: number;
  segments: Partial<Record<Segment, number>>;
  churnRisk: Partial<Record<ChurnRisk, number>>;
  movement: { day: Movement; week: Movement };
  /** Deliveries of the attribution window ending the day and the responses credited to them. */
  messages: MessageFunnel;
  /** Customers on the win-back list (at_risk, hibernating, lost). */
  winback: number;
}

/** The base as of a day, assessed in one process ({@link assessBase}). */
export interface BaseAssessment {
  day: string;
  /** The day's RFM scales (what served summaries are scored against). */
  scales: RfmScales;
  /** Every known customer's summary as of the day, scored. */
  summaries: CustomerSummary[];
  counts: BaseCounts;
}

/** The three days customers are scored on: the report day and the two it is compared with. */
export interface BaseScales {
  now: RfmScales;
  day: RfmScales;
  week: RfmScales;
}

/**
 * The first pass over (a segment of) the base: how many known customers,
 * the RFM scales of the three days and the message funnel. Tallies of
 * disjoint segments add up ({@link mergeTallyInto}); the merged scales are
 * what the second pass scores against.
 */
export interface BaseTally {
  customers: number;
  scales: BaseScales;
  messages: MessageFunnel;
}

/**
 * The second pass over (a segment of) the base: counts by segment and churn
 * risk, the movement and the win-back list's length. Adds up like the tally.
 */
export type BaseScore = Omit<BaseCounts, 'customers' | 'messages'>;

/** The counts of a shop with no known customer yet, as of `day`. */
export function emptyBase(day: string): Pick<BaseAssessment, 'day' | 'counts'> {
  const movement = (days: number): Movement => ({
    since: addDays(day, -days),
    segments: {},
    enteredAtRisk: 0,
    cameBack: 0,
  });
  return {
    day,
    counts: {
      customers: 0,
      segments: {},
      churnRisk: {},
      movement: { day: movement(MOVEMENT_DAYS.day), week: movement(MOVEMENT_DAYS.week) },
      messages: emptyMessageFunnel(day),
      winback: 0,
    },
  };
}

const increment = <K extends string>(record: Partial<Record<K, number>>, key: K) => {
  record[key] = (record[key] ?? 0) + 1;
};

/** An empty {@link BaseTally} for `day`. */
export function emptyTally(day: string): BaseTally {
  return {
    customers: 0,
    scales: { now: emptyScales(), day: emptyScales(), week: emptyScales() },
    messages: emptyMessageFunnel(day),
  };
}

/** An empty {@link BaseScore} for `day`. */
export function emptyScore(day: string): BaseScore {
  const { customers: _c, messages: _m, ...score } = emptyBase(day).counts;
  return score;
}

const addRecord = <K extends string>(
  into: Partial<Record<K, number>>,
  from: Partial<Record<K, number>>,
) => {
  for (const [key, n] of Object.entries(from) as [K, number][]) into[key] = (into[key] ?? 0) + n;
};

/** Adds `from` (another segment's tally of the same day) into `into`; returns `into`. */
export function mergeTallyInto(into: BaseTally, from: BaseTally): BaseTally {
  into.customers += from.customers;
  for (const key of ['now', 'day', 'week'] as const) {
    into.scales[key] = mergeScales(into.scales[key], from.scales[key]);
  }
  for (const key of ['delivered', 'opens', 'clicks', 'conversions', 'revenueCents'] as const) {
    into.messages[key] += from.messages[key];
  }
  return into;
}

/** Adds `from` (another segment's score of the same day) into `into`; returns `into`. */
export function mergeScoreInto(into: BaseScore, from: BaseScore): BaseScore {
  addRecord(into.segments, from.segments);
  addRecord(into.churnRisk, from.churnRisk);
  into.winback += from.winback;
  for (const key of ['day', 'week'] as const) {
    addRecord(into.movement[key].segments, from.movement[key].segments);
    into.movement[key].enteredAtRisk += from.movement[key].enteredAtRisk;
    into.movement[key].cameBack += from.movement[key].cameBack;
  }
  return into;
}

/** The base's counts from the merged passes. */
export function countsOf(tally: BaseTally, score: BaseScore): BaseCounts {
  return { customers: tally.customers, messages: tally.messages, ...score };
}

const earlierDays = (day: string) => ({
  day: addDays(day, -MOVEMENT_DAYS.day),
  week: addDays(day, -MOVEMENT_DAYS.week),
});

/**
 * Pass 1 over profile states (pages, as a scan yields them): counts every
 * known customer as of `day` into the scales of the three days and the
 * message funnel, leaving out `excluded` customers (pending erasures).
 * Holds nothing per customer.
 */
export async function tallyBase(
  pages: AsyncIterable<readonly ProfileState[]>,
  day: string,
  excluded: ReadonlySet<string> = new Set(),
): Promise<BaseTally> {
  const earlier = earlierDays(day);
  const tally = emptyTally(day);
  for await (const page of pages) {
    for (const state of page) {
      if (excluded.has(state.customerId)) continue;
      const summary = summarize(state, day);
      if (!summary) continue;
      tally.customers++;
      addToMessageFunnel(tally.messages, state.days, day);
      addToScales(tally.scales.now, rfmInputOf(summary));
      const dayBefore = rfmInputAt(state, earlier.day);
      if (dayBefore) addToScales(tally.scales.day, dayBefore);
      const weekBefore = rfmInputAt(state, earlier.week);
      if (weekBefore) addToScales(tally.scales.week, weekBefore);
    }
  }
  return tally;
}

/**
 * Pass 2 over the same profile states: scores each known customer against
 * the base's merged `scales` and counts them. Calls `onSummary` with each
 * scored summary (a segment's task collects its own for its CSV parts);
 * holds nothing per customer itself.
 */
export async function scoreBase(
  pages: AsyncIterable<readonly ProfileState[]>,
  day: string,
  scales: BaseScales,
  excluded: ReadonlySet<string> = new Set(),
  onSummary: (summary: CustomerSummary) => void = () => {},
): Promise<BaseScore> {
  const earlier = earlierDays(day);
  const score = {
    now: rfmScorer(scales.now),
    day: rfmScorer(scales.day),
    week: rfmScorer(scales.week),
  };
  const counts = emptyScore(day);
  for await (const page of pages) {
    for (const state of page) {
      if (excluded.has(state.customerId)) continue;
      const summary = summarize(state, day);
      if (!summary) continue;
      const scored = withRfm(summary, score.now);
      const segment = scored.rfm?.segment as Segment;
      increment(counts.segments, segment);
      increment(counts.churnRisk, scored.churnRisk);
      if (WINBACK_SEGMENTS.has(segment)) counts.winback++;
      for (const key of ['day', 'week'] as const) {
        const move = counts.movement[key];
        const input = rfmInputAt(state, earlier[key]);
        const then = input ? score[key](input).segment : undefined;
        if (then) increment(move.segments, then);
        if (segment === 'at_risk' && then !== 'at_risk') move.enteredAtRisk++;
        const activeSince = scored.lifetime.lastSeen.slice(0, 10) > move.since;
        if (then && WINBACK_SEGMENTS.has(then) && activeSince) move.cameBack++;
      }
      onSummary(scored);
    }
  }
  return counts;
}

/**
 * Assesses the whole base as of `day` in one process: both passes over
 * `scan()` (called once per pass), every scored summary kept. The nightly
 * job runs the same passes per scan segment instead and never holds the
 * base; this is for small bases, tools and tests.
 *
 * @example
 * ```ts
 * const base = await assessBase(() => profiles.scanStates(), '2026-11-30');
 * ```
 */
export async function assessBase(
  scan: () => AsyncIterable<readonly ProfileState[]>,
  day: string,
  excluded: ReadonlySet<string> = new Set(),
): Promise<BaseAssessment> {
  const tally = await tallyBase(scan(), day, excluded);
  const summaries: CustomerSummary[] = [];
  const score = await scoreBase(scan(), day, tally.scales, excluded, (s) => summaries.push(s));
  return { day, scales: tally.scales.now, summaries, counts: countsOf(tally, score) };
}
