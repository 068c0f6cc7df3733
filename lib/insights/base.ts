/**
 * The whole customer base as of a day: every known customer (last seen
 * within {@link MAX_RECENCY_DAYS}) summarised for that day, active on it or
 * not, scored against the base's RFM scales, and counted by segment and
 * churn risk with the movement since the day and the week before. Two
 * stages over the profiles (count the scales, then score), each a fold that
 * shards can run apart and merge: the scales add up, and so do the counts.
 */
import { addDays } from '../days.ts';
import { addToMessageFunnel, emptyMessageFunnel, type MessageFunnel } from './attribution.ts';
import {
  addToScales,
  type CustomerSummary,
  emptyScales,
  type ProfileState,
  type RfmInput,
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
}

/** The base as of a day. */
export interface BaseAssessment {
  day: string;
  /** The day's RFM scales (what served summaries are scored against). */
  scales: RfmScales;
  /** Every known customer's summary as of the day, scored. */
  summaries: CustomerSummary[];
  counts: BaseCounts;
}

/** A customer's RFM inputs on the report day and the two earlier days. */
interface Compared {
  summary: CustomerSummary;
  dayBefore?: RfmInput;
  weekBefore?: RfmInput;
}

/** The base of a shop with no known customer yet, as of `day`. */
export function emptyBase(day: string): BaseAssessment {
  const movement = (days: number): Movement => ({
    since: addDays(day, -days),
    segments: {},
    enteredAtRisk: 0,
    cameBack: 0,
  });
  return {
    day,
    scales: emptyScales(),
    summaries: [],
    counts: {
      customers: 0,
      segments: {},
      churnRisk: {},
      movement: { day: movement(MOVEMENT_DAYS.day), week: movement(MOVEMENT_DAYS.week) },
      messages: emptyMessageFunnel(day),
    },
  };
}

const increment = <K extends string>(record: Partial<Record<K, number>>, key: K) => {
  record[key] = (record[key] ?? 0) + 1;
};

/**
 * Assesses the base as of `day` from every stored profile state (pages, as
 * a scan yields them), leaving out `excluded` customers (pending erasures).
 *
 * @example
 * ```ts
 * const base = await assessBase(profiles.scanStates(), '2026-11-30', new Set());
 * ```
 */
export async function assessBase(
  pages: AsyncIterable<readonly ProfileState[]>,
  day: string,
  excluded: ReadonlySet<string> = new Set(),
): Promise<BaseAssessment> {
  const earlier = {
    day: addDays(day, -MOVEMENT_DAYS.day),
    week: addDays(day, -MOVEMENT_DAYS.week),
  };
  const scales = { now: emptyScales(), day: emptyScales(), week: emptyScales() };
  const rows: Compared[] = [];
  const { counts } = emptyBase(day);
  // Stage 1: each customer's facts on the three days, and the scales they add to.
  for await (const page of pages) {
    for (const state of page) {
      if (excluded.has(state.customerId)) continue;
      const summary = summarize(state, day);
      if (!summary) continue;
      const row: Compared = { summary };
      addToMessageFunnel(counts.messages, state.days, day);
      addToScales(scales.now, rfmInputOf(summary));
      const dayBefore = rfmInputAt(state, earlier.day);
      if (dayBefore) {
        row.dayBefore = dayBefore;
        addToScales(scales.day, dayBefore);
      }
      const weekBefore = rfmInputAt(state, earlier.week);
      if (weekBefore) {
        row.weekBefore = weekBefore;
        addToScales(scales.week, weekBefore);
      }
      rows.push(row);
    }
  }
  // Stage 2: score every row against the base of its day, and count.
  const score = {
    now: rfmScorer(scales.now),
    day: rfmScorer(scales.day),
    week: rfmScorer(scales.week),
  };
  counts.customers = rows.length;
  const summaries = rows.map(({ summary, dayBefore, weekBefore }) => {
    const scored = withRfm(summary, score.now);
    const segment = scored.rfm?.segment as Segment;
    increment(counts.segments, segment);
    increment(counts.churnRisk, scored.churnRisk);
    for (const [key, input] of [
      ['day', dayBefore],
      ['week', weekBefore],
    ] as const) {
      const move = counts.movement[key];
      const then = input ? score[key](input).segment : undefined;
      if (then) increment(move.segments, then);
      if (segment === 'at_risk' && then !== 'at_risk') move.enteredAtRisk++;
      const activeSince = scored.lifetime.lastSeen.slice(0, 10) > move.since;
      if (then && WINBACK_SEGMENTS.has(then) && activeSince) move.cameBack++;
    }
    return scored;
  });
  return { day, scales: scales.now, summaries, counts };
}
