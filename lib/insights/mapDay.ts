import type { S3Client } from '@aws-sdk/client-s3';
import { KEYS } from '../aws/resources.ts';
import { getJson, putJson } from '../aws/s3json.ts';
import type { DayLayout } from '../events/keys.ts';
import type { EventStore } from '../events/store.ts';
import {
  DayMapper,
  type DayPartial,
  type DaySummary,
  emptySummary,
  mergeSummaryInto,
} from './partial.ts';

/**
 * A shard's saved partial and the run that produced it: written by runs
 * before a shard's task reduced its own customers (older days may still
 * hold them until they expire; the erasure compactor still cleans them).
 */
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
 * Where the nightly job records its progress per day and shard: the
 * summary once the shard's profiles are written, and the
 * files of the pass over the whole base (named by `file`, such as
 * `tally-0003`). One S3 implementation ({@link S3ShardStore}).
 */
export interface ShardStore {
  getSummary(day: string, shard: number): Promise<SavedSummary | undefined>;
  putSummary(day: string, shard: number, saved: SavedSummary): Promise<void>;
  getBaseWork<T>(day: string, file: string): Promise<SavedBaseWork<T> | undefined>;
  putBaseWork<T>(day: string, file: string, saved: SavedBaseWork<T>): Promise<void>;
}

/**
 * {@link ShardStore} on S3: shard summaries under
 * `insights/<day>/summaries/NN.json` and the base pass's files under
 * `insights/<day>/base/`. None names a customer.
 */
export class S3ShardStore implements ShardStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

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
