/**
 * Where an event lives in the events table (see `EVENTS_TABLE` in
 * `lib/aws/resources.ts` and "Storage design" in the README):
 *
 * - partition `D#<yyyy-mm-dd>#<shard>`: a UTC day split into shards by a
 *   hash of the customer id (`MUSE_EVENT_SHARDS`, a power of two, default
 *   {@link DEFAULT_EVENT_SHARDS}), so the nightly job reads a day as that
 *   many parallel Queries, and one customer's events of a day are in one
 *   shard;
 * - partition `L#<yyyy-mm-dd>`, sort key `<count>`: the shard counts the
 *   day's events were written with (one item per count, written before the
 *   first event with it), so a day is read with the counts it was written
 *   with even after the setting changes;
 * - sort key `<ts as UTC ISO ms>#<eventId>`: time-ordered within a shard, and
 *   the same event (same `ts` and `eventId`) always lands on the same key, so
 *   a replay overwrites nothing new and is counted once downstream;
 * - `customerKey` `C#<customerId>` (index `byCustomer`, same sort key): a
 *   customer's history for personalisation, recommendations and erasure;
 * - `expiresAt` (epoch seconds): TTL for retention.
 */
import { DEFAULT_EVENT_SHARDS, MAX_EVENT_SHARDS } from '../envNames.ts';
import type { EngagementEvent } from './schema.ts';

export { DEFAULT_EVENT_SHARDS, MAX_EVENT_SHARDS };

/** Whether `n` can be a shard count: a power of two from 1 to {@link MAX_EVENT_SHARDS}. */
export function isShardCount(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_EVENT_SHARDS && (n & (n - 1)) === 0;
}

/** Partition key prefix of the days' layout records (IAM confines the plan step to it). */
export const LAYOUT_PK_PREFIX = 'L#';

/** Partition key of the shard counts a day was written with. */
export function layoutKey(day: string): string {
  return `${LAYOUT_PK_PREFIX}${day}`;
}

/**
 * The shard counts a day's events were written with, and the count the
 * nightly job processes it with (the largest: every count is a power of two,
 * so a customer's shard under a smaller count is its shard under the largest
 * one modulo the smaller).
 */
export interface DayLayout {
  counts: number[];
  shards: number;
}

/** The layout of a day written with these counts (none recorded: the default count). */
export function dayLayout(counts: readonly number[]): DayLayout {
  const sorted = [...new Set(counts)].sort((a, b) => a - b);
  const list = sorted.length > 0 ? sorted : [DEFAULT_EVENT_SHARDS];
  return { counts: list, shards: list[list.length - 1] as number };
}

/**
 * The partitions that hold the events of processing shard `shard` of a day
 * with this layout: its own under each count (`shard mod count`). With more
 * than one count a partition also holds other shards' customers, whom the
 * reader filters out with {@link shardOf}.
 */
export function partitionsOf(layout: DayLayout, shard: number): number[] {
  return [...new Set(layout.counts.map((count) => shard % count))];
}

/** The customer index's name. */
export const CUSTOMER_INDEX = 'byCustomer';

/** An event as stored: the client's fields plus keys and bookkeeping. */
export interface StoredEvent extends EngagementEvent {
  pk: string;
  sk: string;
  customerKey: string;
  /** `ts` normalised to UTC with milliseconds (the sort key's prefix). */
  ts: string;
  /** When Muse first stored it (UTC ISO). */
  receivedAt: string;
  /** Epoch seconds after which DynamoDB TTL removes it. */
  expiresAt: number;
  /** The shard count its key was built with. */
  shards: number;
}

/** FNV-1a, 32-bit: a stable, fast string hash (same shard on every machine and version). */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** The shard (0 … shards-1) of a customer's events under a shard count. */
export function shardOf(customerId: string, shards: number = DEFAULT_EVENT_SHARDS): number {
  return fnv1a(customerId) % shards;
}

/** Partition key of a day's shard, e.g. `D#2026-11-23#07`. */
export function dayShardKey(day: string, shard: number): string {
  return `D#${day}#${String(shard).padStart(2, '0')}`;
}

/** Index key of a customer's events. */
export function customerKey(customerId: string): string {
  return `C#${customerId}`;
}

/** The UTC day (`yyyy-mm-dd`) of an ISO timestamp (see `lib/days.ts`). */
export { dayOf } from '../days.ts';

/**
 * The stored form of a valid event: keys, normalised `ts`, TTL.
 *
 * @example
 * ```ts
 * const item = toStoredEvent(event, { receivedAt: new Date(), retentionDays: 400, shards: 16 });
 * ```
 */
export function toStoredEvent(
  event: EngagementEvent,
  options: { receivedAt: Date; retentionDays: number; shards?: number },
): StoredEvent {
  const ts = new Date(event.ts).toISOString();
  const at = Date.parse(ts);
  const shards = options.shards ?? DEFAULT_EVENT_SHARDS;
  return {
    ...event,
    ts,
    shards,
    pk: dayShardKey(ts.slice(0, 10), shardOf(event.customerId, shards)),
    sk: `${ts}#${event.eventId}`,
    customerKey: customerKey(event.customerId),
    receivedAt: options.receivedAt.toISOString(),
    expiresAt: Math.floor(at / 1000) + options.retentionDays * 86_400,
  };
}
