import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import { mapLimit, type RetryPolicy } from '../async.ts';
import { batchWrite, deleteWhere, type TableKey, TRANSIENT_ERRORS } from '../aws/batch.ts';
import { parseDictJson } from '../dict.ts';
import { ServiceUnavailableError } from '../errors.ts';
import {
  CUSTOMER_INDEX,
  customerKey,
  type DayLayout,
  dayLayout,
  dayShardKey,
  layoutKey,
  partitionsOf,
  type StoredEvent,
  shardOf,
} from './keys.ts';

/** What {@link EventStore.putNew} did with each event (indexes into its input). */
export interface PutOutcome {
  /** Stored now. */
  stored: number[];
  /** Their eventId was stored before (or by a copy in flight): not written again. */
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
  /** Stores the events whose eventIds are not stored yet (at most once each, whatever their `ts`). EventIds must be distinct. */
  putNew(events: readonly StoredEvent[]): Promise<PutOutcome>;
  /** A customer's events, newest first. */
  customerEvents(customerId: string, options?: HistoryOptions): Promise<StoredEvent[]>;
  /**
   * In one read of the customer's events: the newest `recent` of them, and
   * every item they bought within the event retention (their whole stored
   * purchase history).
   */
  customerHistory(
    customerId: string,
    recent: number,
  ): Promise<{ recent: StoredEvent[]; purchased: Set<string> }>;
  /** The shard counts a day was written with (the default count when none is recorded). */
  layoutOf(day: string): Promise<DayLayout>;
  /**
   * The events of one processing shard of a day under its layout, a page
   * (≤ 1 MB read) at a time: every partition that holds its customers, and
   * only its customers.
   */
  shardPages(day: string, shard: number, layout: DayLayout): AsyncIterable<StoredEvent[]>;
  /** Deletes every event of a customer; returns how many were deleted. */
  deleteCustomerEvents(customerId: string): Promise<number>;
}

/** Calls of {@link DynamoEventStore.putNew} in flight at once (two conditional puts per event). */
const PUT_CONCURRENCY = 32;

/**
 * The idempotency record of an eventId in the events table: partition
 * `E#<eventId>`, sort key `ID`, holding the canonical item (the first copy
 * that claimed the id) and the same TTL as the event, so an eventId is
 * counted once within retention whatever `ts` a resend carries. Its
 * `customerKey` is `R#<customerId>`: erasure finds records through the
 * customer index, and history reads (`C#…`) never see them.
 */
export const ID_RECORD_PK_PREFIX = 'E#';
/** Sort key of an eventId record. */
export const ID_RECORD_SK = 'ID';
/** `customerKey` prefix of eventId records. */
export const ID_RECORD_CUSTOMER_PREFIX = 'R#';

/** The layout record an event needs before it is written: `<day>|<count>`. */
const layoutRecordOf = (e: StoredEvent) => `${e.ts.slice(0, 10)}|${e.shards}`;

/** An event as a DynamoDB item. */
type StoredItem = TableKey & Record<string, unknown>;

/**
 * The item an event is stored as: `props` (keys chosen by clients) as a JSON
 * string, so no client key ever becomes a DynamoDB map key (the SDK's
 * marshalling treats a key named `constructor` as a class instance and a
 * `__proto__` key as the map's prototype).
 */
function toItem(event: StoredEvent): StoredItem {
  const { props, ...rest } = event;
  return props === undefined ? rest : { ...rest, propsJson: JSON.stringify(props) };
}

/** The eventId record of an event (see {@link ID_RECORD_PK_PREFIX}). */
function idRecord(event: StoredEvent, item: StoredItem): StoredItem {
  return {
    pk: `${ID_RECORD_PK_PREFIX}${event.eventId}`,
    sk: ID_RECORD_SK,
    customerKey: `${ID_RECORD_CUSTOMER_PREFIX}${event.customerId}`,
    item: JSON.stringify(item),
    expiresAt: event.expiresAt,
  };
}

/** An event read back: `propsJson` parsed into a null-prototype record. */
function fromItem(item: Record<string, unknown>): StoredEvent {
  const { propsJson, ...rest } = item;
  const event = rest as unknown as StoredEvent;
  if (typeof propsJson === 'string') event.props = parseDictJson(propsJson);
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
  /** Day layouts this instance has recorded (`<day>|<count>`): one write per container, day and count. */
  private readonly recorded = new Set<string>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retry?: RetryPolicy,
  ) {}

  /**
   * Records the shard counts of `events` for their days before any of them
   * is written, so a reader never meets an event keyed with a count it does
   * not know. The record outlives the day's events (a day past their TTL).
   * Returns the error name per `<day>|<count>` that could not be recorded:
   * those events must not be written yet.
   */
  private async recordLayouts(events: readonly StoredEvent[]): Promise<Map<string, string>> {
    const fresh = new Map<string, StoredEvent>();
    for (const e of events) {
      const key = layoutRecordOf(e);
      if (!this.recorded.has(key) && !fresh.has(key)) fresh.set(key, e);
    }
    const unrecorded = new Map<string, string>();
    await mapLimit([...fresh], PUT_CONCURRENCY, async ([key, e]) => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              pk: layoutKey(e.ts.slice(0, 10)),
              sk: String(e.shards),
              shards: e.shards,
              expiresAt: e.expiresAt + 86_400,
            },
          }),
        );
        this.recorded.add(key);
      } catch (error) {
        unrecorded.set(key, (error as { name?: string }).name ?? 'Error');
      }
    });
    return unrecorded;
  }

  async layoutOf(day: string): Promise<DayLayout> {
    const counts: number[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': layoutKey(day) },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) counts.push(Number(item.shards));
    }
    return dayLayout(counts);
  }

  /**
   * Stores each event at most once per eventId, whatever its `ts`, under any
   * concurrency (see {@link ID_RECORD_SK}): first a conditional put of the
   * eventId's record, which fixes the event's canonical item (the first
   * payload that claimed it); then a conditional put of that item. Exactly
   * one call ever creates the item, and only that call counts it as stored;
   * every other copy, in flight or later, is a duplicate. A copy that finds
   * the record but not the item (the claimant failed or is still writing)
   * writes the canonical item itself, so a claimed event is never lost.
   */
  async putNew(events: readonly StoredEvent[]): Promise<PutOutcome> {
    const outcome: PutOutcome = { stored: [], duplicates: [], failed: [] };
    const unrecorded = await this.recordLayouts(events);
    await mapLimit([...events.keys()], PUT_CONCURRENCY, async (index) => {
      const event = events[index] as StoredEvent;
      // Its day's layout is unknown to readers yet: not written, reported like any failed write.
      const layoutError = unrecorded.get(layoutRecordOf(event));
      if (layoutError) {
        const permanent = !TRANSIENT_ERRORS.has(layoutError);
        outcome.failed.push({ index, reason: layoutError, ...(permanent ? { permanent } : {}) });
        return;
      }
      try {
        const canonical = (await this.claim(event)) ?? toItem(event);
        ((await this.putIfAbsent(canonical)) ? outcome.stored : outcome.duplicates).push(index);
      } catch (error) {
        const name = (error as { name?: string }).name ?? 'Error';
        const permanent = !TRANSIENT_ERRORS.has(name);
        outcome.failed.push({ index, reason: name, ...(permanent ? { permanent } : {}) });
      }
    });
    for (const list of [outcome.stored, outcome.duplicates]) list.sort((a, b) => a - b);
    outcome.failed.sort((a, b) => a.index - b.index);
    return outcome;
  }

  /**
   * Bulk-loads events known to be new (a demo seed, a benchmark's data, a
   * migration): each event item and its eventId record in plain batch
   * writes, without the conditional puts, so ~10× faster than
   * {@link putNew} on dynalite. Later resends of these ids are still
   * deduplicated (their records exist). Not for client traffic: a copy in
   * flight would be stored twice. Throws when anything is left unwritten.
   */
  async importNew(events: readonly StoredEvent[]): Promise<void> {
    const unrecorded = await this.recordLayouts(events);
    if (unrecorded.size > 0) {
      throw new ServiceUnavailableError(
        `Could not record the shard layout of ${unrecorded.size} day(s) (${[...unrecorded.values()][0]}); importing is idempotent: run it again.`,
        5,
      );
    }
    const ops = events.flatMap((event) => {
      const item = toItem(event);
      return [{ put: item }, { put: idRecord(event, item) }];
    });
    const result = await batchWrite(this.doc, this.table, ops, this.retry);
    if (result.failed.length > 0) {
      throw new ServiceUnavailableError(
        `Could not import ${result.failed.length} of ${ops.length} items (${result.failed[0]?.reason}); importing is idempotent: run it again.`,
        5,
      );
    }
  }

  /**
   * Claims `event.eventId`: writes its record unless one exists. Returns
   * undefined when this call claimed it, else the canonical item the record
   * holds (from whichever copy claimed it first).
   */
  private async claim(event: StoredEvent): Promise<StoredItem | undefined> {
    const item = toItem(event);
    const record = idRecord(event, item);
    if (await this.putIfAbsent(record)) return undefined;
    const found = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: record.pk, sk: record.sk },
        ConsistentRead: true,
      }),
    );
    const stored = found.Item?.item;
    return typeof stored === 'string' ? (JSON.parse(stored) as StoredItem) : item;
  }

  /** Writes an item unless one with its key exists; true when this call created it. */
  private async putIfAbsent(item: StoredItem): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
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

  async customerHistory(
    customerId: string,
    recent: number,
  ): Promise<{ recent: StoredEvent[]; purchased: Set<string> }> {
    // One pass, newest first: O(the customer's own events). Events past the newest
    // `recent` are only looked at for purchases (not parsed into events).
    const out: StoredEvent[] = [];
    const purchased = new Set<string>();
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.table,
        IndexName: CUSTOMER_INDEX,
        KeyConditionExpression: 'customerKey = :c',
        ExpressionAttributeValues: { ':c': customerKey(customerId) },
        ScanIndexForward: false,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (out.length < recent) out.push(fromItem(item));
        if (item.type === 'purchase' && typeof item.itemId === 'string') purchased.add(item.itemId);
      }
    }
    return { recent: out, purchased };
  }

  async *shardPages(day: string, shard: number, layout: DayLayout): AsyncIterable<StoredEvent[]> {
    // One count: the partition is the shard. Several: each partition also holds other shards' customers.
    const mixed = layout.counts.length > 1;
    for (const partition of partitionsOf(layout, shard)) {
      const pages = paginateQuery(
        { client: this.doc },
        {
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': dayShardKey(day, partition) },
        },
      );
      for await (const page of pages) {
        const events = (page.Items ?? []).map(fromItem);
        yield mixed ? events.filter((e) => shardOf(e.customerId, layout.shards) === shard) : events;
      }
    }
  }

  async deleteCustomerEvents(customerId: string): Promise<number> {
    const byIndex = (key: string, what: string) =>
      deleteWhere(
        this.doc,
        {
          TableName: this.table,
          IndexName: CUSTOMER_INDEX,
          KeyConditionExpression: 'customerKey = :c',
          ExpressionAttributeValues: { ':c': key },
        },
        what,
        this.retry,
      );
    const events = await byIndex(customerKey(customerId), `events of customer ${customerId}`);
    // The eventId records hold copies of the events: they go too.
    await byIndex(
      `${ID_RECORD_CUSTOMER_PREFIX}${customerId}`,
      `event ids of customer ${customerId}`,
    );
    return events;
  }
}
