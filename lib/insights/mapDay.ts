import type { S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../async.ts';
import { KEYS } from '../aws/resources.ts';
import { getJson, putJson } from '../aws/s3json.ts';
import type { DayLayout } from '../events/keys.ts';
import type { EventStore } from '../events/store.ts';
import {
  DayMapper,
  type DayPartial,
  type DaySummary,
  emptyPartial,
  emptySummary,
  mergeInto,
  mergeSummaryInto,
} from './partial.ts';

/** A shard's saved partial and the run that produced it. */
export interface SavedShard {
  runId: string;
  /** The day's shard count the partial is one shard of. */
  shards?: number;
  partial: DayPartial;
}

/** A shard's saved summary (after its reduce) and the run that produced it. */
export interface SavedSummary {
  runId: string;
  shards: number;
  summary: DaySummary;
}

/** A file of the pass over the whole base (a segment's tally or score, the merged scales) and its run. */
export interface SavedBaseWork<T> {
  runId: string;
  /** The scan segments the base was split into. */
  segments: number;
  value: T;
}

/**
 * Where the nightly job records its progress per day and shard: the mapped
 * partial, then the summary once the shard's profiles are written, and the
 * files of the pass over the whole base (named by `file`, such as
 * `tally-0003`). One S3 implementation ({@link S3ShardStore}).
 */
export interface ShardStore {
  get(day: string, shard: number): Promise<SavedShard | undefined>;
  put(day: string, shard: number, saved: SavedShard): Promise<void>;
  getSummary(day: string, shard: number): Promise<SavedSummary | undefined>;
  putSummary(day: string, shard: number, saved: SavedSummary): Promise<void>;
  getBaseWork<T>(day: string, file: string): Promise<SavedBaseWork<T> | undefined>;
  putBaseWork<T>(day: string, file: string, saved: SavedBaseWork<T>): Promise<void>;
}

/** S3 key of a shard's saved partial (in the reports bucket). */
export const shardKey = KEYS.shard;

/**
 * {@link ShardStore} on S3 under `insights/<day>/shards/NN.json`. The
 * partials name customers, so erasure must cover this prefix too (see the
 * nightly insights issue).
 */
export class S3ShardStore implements ShardStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  get(day: string, shard: number): Promise<SavedShard | undefined> {
    return getJson<SavedShard>(this.s3, this.bucket, shardKey(day, shard));
  }

  put(day: string, shard: number, saved: SavedShard): Promise<void> {
    return putJson(this.s3, this.bucket, shardKey(day, shard), saved);
  }

  getSummary(day: string, shard: number): Promise<SavedSummary | undefined> {
    return getJson<SavedSummary>(this.s3, this.bucket, KEYS.shardSummary(day, shard));
  }

  putSummary(day: string, shard: number, saved: SavedSummary): Promise<void> {
    return putJson(this.s3, this.bucket, KEYS.shardSummary(day, shard), saved);
  }

  getBaseWork<T>(day: string, file: string): Promise<SavedBaseWork<T> | undefined> {
    return getJson<SavedBaseWork<T>>(this.s3, this.bucket, KEYS.baseWork(day, file));
  }

  putBaseWork<T>(day: string, file: string, saved: SavedBaseWork<T>): Promise<void> {
    return putJson(this.s3, this.bucket, KEYS.baseWork(day, file), saved);
  }
}

/** Refuses a shard number the day's layout does not have. */
export function checkShard(day: string, shard: number, layout: DayLayout): void {
  if (!Number.isInteger(shard) || shard < 0 || shard >= layout.shards) {
    throw new RangeError(`${day} has ${layout.shards} shards; there is no shard ${shard}.`);
  }
}

/**
 * Maps one day's shard: reads it page by page (Query, ≤ 1 MB a page) and
 * folds the events into a partial, holding no more than a page of events
 * (plus each customer's item touches, for co-visitation sessions).
 */
export async function mapShard(
  events: EventStore,
  day: string,
  shard: number,
  layout: DayLayout,
): Promise<DayPartial> {
  const mapper = new DayMapper();
  for await (const page of events.shardPages(day, shard, layout)) mapper.add(page);
  return mapper.finish();
}

/** Options of {@link mapDay}. */
export interface MapDayOptions {
  /**
   * Identifies this run. Shards saved by the same run id are reused (a run
   * killed part-way resumes where it stopped); a new id recomputes every
   * shard, which is how late events for a past day are picked up.
   */
  runId: string;
  /** Shards mapped at once (default 4). */
  concurrency?: number;
  onShard?: (shard: number, reused: boolean) => void;
}

/** What {@link mapDay} produced. */
export interface MappedDay {
  day: string;
  /** The shard count the day was processed with. */
  shards: number;
  partial: DayPartial;
  /** Shards mapped now and shards reused from this run's earlier attempt. */
  mapped: number[];
  reused: number[];
}

/**
 * The map stage alone for one UTC day, in one process: maps every shard
 * (saving each partial as soon as it is done) and merges the partials,
 * customers included. The job itself goes further per shard (`processShard`
 * in `nightly.ts` writes each shard's profiles and keeps only a summary);
 * this whole-day partial is what checks the map against a single pass over
 * the day's events.
 *
 * @example
 * ```ts
 * const { partial } = await mapDay({ events, shards }, '2026-11-22', { runId: 'nightly-2026-11-23' });
 * ```
 */
export async function mapDay(
  deps: { events: EventStore; shards: ShardStore },
  day: string,
  options: MapDayOptions,
): Promise<MappedDay> {
  // Each shard's partial is folded in as it completes, so at most
  // `concurrency` shard partials are alive next to the accumulator.
  const merged = emptyPartial();
  const mapped: number[] = [];
  const reused: number[] = [];
  const layout = await deps.events.layoutOf(day);
  const shards = Array.from({ length: layout.shards }, (_, i) => i);
  await mapLimit(shards, options.concurrency ?? 4, async (shard) => {
    const { partial, reused: wasReused } = await mapOneShard(
      deps,
      day,
      shard,
      options.runId,
      layout,
    );
    mergeInto(merged, partial);
    (wasReused ? reused : mapped).push(shard);
    options.onShard?.(shard, wasReused);
  });
  return {
    day,
    shards: layout.shards,
    partial: merged,
    mapped: mapped.sort((a, b) => a - b),
    reused: reused.sort((a, b) => a - b),
  };
}

/**
 * Maps one shard for a run and saves its partial, unless this run already
 * saved it (a retried or resumed run). The map Lambda in AWS is this call.
 */
export async function mapOneShard(
  deps: { events: EventStore; shards: ShardStore },
  day: string,
  shard: number,
  runId: string,
  layout: DayLayout,
): Promise<{ partial: DayPartial; reused: boolean }> {
  checkShard(day, shard, layout);
  const saved = await deps.shards.get(day, shard);
  if (saved?.runId === runId && (saved.shards ?? layout.shards) === layout.shards) {
    return { partial: saved.partial, reused: true };
  }
  const partial = await mapShard(deps.events, day, shard, layout);
  await deps.shards.put(day, shard, { runId, shards: layout.shards, partial });
  return { partial, reused: false };
}

/** A day after every shard's reduce: the merged summaries (what the final step needs). */
export interface ReducedDay {
  day: string;
  shards: number;
  summary: DaySummary;
  /** Shards processed now and shards reused from this run's earlier attempt. */
  processed: number[];
  reused: number[];
}

/**
 * The day from the shard summaries a run saved (the reduce Lambda's input
 * in AWS): small, whatever the customer count. Refuses when a shard of this
 * run is missing.
 */
export async function loadReducedDay(
  shards: ShardStore,
  day: string,
  runId: string,
  count: number,
): Promise<ReducedDay> {
  const saved = await Promise.all(
    Array.from({ length: count }, (_, shard) => shards.getSummary(day, shard)),
  );
  const missing = saved.flatMap((s, shard) =>
    s?.runId === runId && s.shards === count ? [] : [shard],
  );
  if (missing.length > 0) {
    throw new Error(
      `Run ${runId} has not mapped shard(s) ${missing.join(', ')} of ${day}; map them first (the state machine retries), then reduce.`,
    );
  }
  return {
    day,
    shards: count,
    summary: saved.reduce(
      (acc, s) => mergeSummaryInto(acc, (s as SavedSummary).summary),
      emptySummary(),
    ),
    processed: [],
    reused: saved.map((_, shard) => shard),
  };
}
