import { type DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { RetryPolicy } from '../async.ts';
import {
  batchWrite,
  deleteWhere,
  existingKeys,
  type TableKey,
  tableKeyString,
} from '../aws/batch.ts';
import { nullPrototypeReviver } from '../dict.ts';
import { CUSTOMER_INDEX, customerKey, dayShardKey, type StoredEvent } from './keys.ts';

/** What {@link EventStore.putNew} did with each event (indexes into its input). */
export interface PutOutcome {
  /** Stored now. */
  stored: number[];
  /** Already stored before (same key): not written again. */
  duplicates: number[];
  /** Could not be stored: refused by DynamoDB (`permanent`) or throttled past the deadline (safe to resend). */
  failed: Array<{ index: number; reason: string; permanent?: boolean }>;
}

/** Options for reading a customer's history. */
export interface HistoryOptions {
  /** Most recent events to return (default 200). */
  limit?: number;
  /** Only events at or after this ISO time. */
  since?: string;
}

/**
 * Where engagement events live. One DynamoDB implementation
 * ({@link DynamoEventStore}); domain code depends on this interface only.
 */
export interface EventStore {
  /** Stores the events whose keys are not stored yet. Keys must be distinct. */
  putNew(events: readonly StoredEvent[]): Promise<PutOutcome>;
  /** A customer's events, newest first. */
  customerEvents(customerId: string, options?: HistoryOptions): Promise<StoredEvent[]>;
  /** One day's shard, oldest first, a page (≤ 1 MB read) at a time. */
  shardPages(day: string, shard: number): AsyncIterable<StoredEvent[]>;
  /** Deletes every event of a customer; returns how many were deleted. */
  deleteCustomerEvents(customerId: string): Promise<number>;
}

/**
 * The item an event is stored as: `props` (keys chosen by clients) as a JSON
 * string, so no client key ever becomes a DynamoDB map key (the SDK's
 * marshalling treats a key named `constructor` as a class instance and a
 * `__proto__` key as the map's prototype).
 */
function toItem(event: StoredEvent): TableKey & Record<string, unknown> {
  const { props, ...rest } = event;
  return props === undefined ? rest : { ...rest, propsJson: JSON.stringify(props) };
}

/** An event read back: `propsJson` parsed into a null-prototype record. */
function fromItem(item: Record<string, unknown>): StoredEvent {
  const { propsJson, ...rest } = item;
  const event = rest as unknown as StoredEvent;
  if (typeof propsJson === 'string') event.props = JSON.parse(propsJson, nullPrototypeReviver);
  return event;
}

/**
 * {@link EventStore} on the events table (keys in `lib/events/keys.ts`).
 * Deduplication reads the batch's keys first (BatchGetItem) and writes only
 * the new ones, so the first copy of an event wins and a replay costs reads,
 * not writes. There are no transactions (dynalite has none): a race between
 * two copies of one event in flight at once writes the same key twice,
 * which is still one stored event.
 *
 * @example
 * ```ts
 * const store = new DynamoEventStore(documentClient(), config().eventsTable);
 * ```
 */
export class DynamoEventStore implements EventStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retry?: RetryPolicy,
  ) {}

  async putNew(events: readonly StoredEvent[]): Promise<PutOutcome> {
    const { existing } = await existingKeys(this.doc, this.table, events, this.retry);
    const fresh: number[] = [];
    const duplicates: number[] = [];
    events.forEach((event, i) => {
      (existing.has(tableKeyString(event)) ? duplicates : fresh).push(i);
    });
    const written = await batchWrite(
      this.doc,
      this.table,
      fresh.map((i) => ({ put: toItem(events[i] as StoredEvent) })),
      this.retry,
    );
    return {
      stored: written.written.map((w) => fresh[w] as number),
      duplicates,
      failed: written.failed.map((f) => ({ ...f, index: fresh[f.index] as number })),
    };
  }

  async customerEvents(customerId: string, options: HistoryOptions = {}): Promise<StoredEvent[]> {
    const limit = options.limit ?? 200;
    const out: StoredEvent[] = [];
    const pages = paginateQuery(
      { client: this.doc, pageSize: Math.min(limit, 1000) },
      {
        TableName: this.table,
        IndexName: CUSTOMER_INDEX,
        KeyConditionExpression: options.since
          ? 'customerKey = :c AND sk >= :since'
          : 'customerKey = :c',
        ExpressionAttributeValues: {
          ':c': customerKey(customerId),
          ...(options.since ? { ':since': options.since } : {}),
        },
        ScanIndexForward: false,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        out.push(fromItem(item));
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  async *shardPages(day: string, shard: number): AsyncIterable<StoredEvent[]> {
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': dayShardKey(day, shard) },
      },
    );
    for await (const page of pages) yield (page.Items ?? []).map(fromItem);
  }

  deleteCustomerEvents(customerId: string): Promise<number> {
    return deleteWhere(
      this.doc,
      {
        TableName: this.table,
        IndexName: CUSTOMER_INDEX,
        KeyConditionExpression: 'customerKey = :c',
        ExpressionAttributeValues: { ':c': customerKey(customerId) },
      },
      `events of customer ${customerId}`,
      this.retry,
    );
  }
}
