/**
 * Where an event lives in the events table (see `EVENTS_TABLE` in
 * `lib/aws/resources.ts` and "Storage design" in the README):
 *
 * - partition `D#<yyyy-mm-dd>#<shard>`: a UTC day split into
 *   {@link EVENT_SHARDS} shards by a hash of the customer id, so the nightly
 *   job reads a day as that many parallel Queries, and one customer's events
 *   of a day are in one shard;
 * - sort key `<ts as UTC ISO ms>#<eventId>`: time-ordered within a shard, and
 *   the same event (same `ts` and `eventId`) always lands on the same key, so
 *   a replay overwrites nothing new and is counted once downstream;
 * - `customerKey` `C#<customerId>` (index `byCustomer`, same sort key): a
 *   customer's history for personalisation, recommendations and erasure;
 * - `expiresAt` (epoch seconds): TTL for retention.
 */
import type { EngagementEvent } from './schema.ts';

/**
 * Shards per day. Writers and the nightly reader must agree on it, so it is a
 * constant, not a setting: changing it would make earlier days unreadable.
 * 16 shards keep each partition far under DynamoDB's per-partition limits up
 * to ~10 million events a day.
 */
export const EVENT_SHARDS = 16;

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

/** The shard (0 … {@link EVENT_SHARDS}-1) of a customer's events. */
export function shardOf(customerId: string): number {
  return fnv1a(customerId) % EVENT_SHARDS;
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
 * const item = toStoredEvent(event, { receivedAt: new Date(), retentionDays: 400 });
 * ```
 */
export function toStoredEvent(
  event: EngagementEvent,
  options: { receivedAt: Date; retentionDays: number },
): StoredEvent {
  const ts = new Date(event.ts).toISOString();
  const at = Date.parse(ts);
  return {
    ...event,
    ts,
    pk: dayShardKey(ts.slice(0, 10), shardOf(event.customerId)),
    sk: `${ts}#${event.eventId}`,
    customerKey: customerKey(event.customerId),
    receivedAt: options.receivedAt.toISOString(),
    expiresAt: Math.floor(at / 1000) + options.retentionDays * 86_400,
  };
}
