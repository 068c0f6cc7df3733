import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { customerPartition } from '../aws/appKeys.ts';
import { deleteWhere } from '../aws/batch.ts';
import { CustomerId } from '../events/schema.ts';
import type { EventStore } from '../events/store.ts';
import { validate } from '../validation.ts';
import type { ErasureStore } from './erasures.ts';

/** One place that holds a customer's personal data and can remove it. */
export interface CustomerDataEraser {
  /** What it removes, e.g. `events`; the key of the count in the result. */
  readonly name: string;
  /** Removes the customer's data; returns how many records were removed (0 when none). */
  erase(customerId: string): Promise<number>;
}

/** What an erasure did now and what it left to the nightly job. */
export interface ErasureResult {
  customerId: string;
  /** Records removed now, per store (the customer's own items: events, profile). */
  removed: Record<string, number>;
  /** When the erasure was first asked for (a repeat keeps the first time). */
  requestedAt: string;
  erasedAt: string;
  /**
   * What is left: the customer's rows in stored reports and job files,
   * removed by the next nightly run (within 24 hours); already hidden from
   * every read path. Absent when nothing was left to do.
   */
  scheduled?: { storedReports: string };
}

/** What {@link eraseCustomer} works with. */
export interface ErasureDeps {
  /** The erasure records, written first and consulted by read paths. */
  erasures: Pick<ErasureStore, 'request' | 'complete'>;
  /** The stores of the customer's own items, erased now. */
  erasers: readonly CustomerDataEraser[];
}

/**
 * `DELETE /customers/{id}`: records the erasure first (so every read path
 * hides the customer at once), then removes the customer's own items (events
 * and their eventId records, profile) — O(the customer's data), no shared
 * object touched, so concurrent erasures cannot race. Their rows in stored
 * reports and the nightly job's files are removed by the next nightly run,
 * the one writer of those objects. Idempotent. `status` is 202 while that is
 * pending, 200 when the customer had nothing stored (no items now and no
 * earlier request pending): every stored report derives from events.
 *
 * @example
 * ```ts
 * const { status, result } = await eraseCustomer('c-42', { erasures, erasers: [eventsEraser(store)] });
 * ```
 */
export async function eraseCustomer(
  id: string,
  deps: ErasureDeps,
  now: () => Date = () => new Date(),
): Promise<{ status: 200 | 202; result: ErasureResult }> {
  const customerId = validate(CustomerId, id, 'customerId in the path');
  const at = now();
  const request = await deps.erasures.request(customerId, at);
  const counts = await Promise.all(deps.erasers.map((e) => e.erase(customerId)));
  const removed = Object.fromEntries(deps.erasers.map((e, i) => [e.name, counts[i] as number]));
  const erasedAt = at.toISOString();
  if (request.created && counts.every((n) => n === 0)) {
    // Nothing of theirs was stored: no report or job file can hold them either.
    await deps.erasures.complete([customerId]);
    return {
      status: 200,
      result: { customerId, removed, requestedAt: request.requestedAt, erasedAt },
    };
  }
  return {
    status: 202,
    result: {
      customerId,
      removed,
      requestedAt: request.requestedAt,
      erasedAt,
      scheduled: {
        storedReports: 'by the next nightly run (within 24 hours); hidden from every read now',
      },
    },
  };
}

/** Erases a customer's engagement events. */
export function eventsEraser(store: EventStore): CustomerDataEraser {
  return { name: 'events', erase: (id) => store.deleteCustomerEvents(id) };
}

/** Erases every app-table item in the customer's partition (profile, daily snapshots). */
export function profileEraser(doc: DynamoDBDocumentClient, table: string): CustomerDataEraser {
  return {
    name: 'profileItems',
    erase: (customerId) =>
      deleteWhere(
        doc,
        {
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': customerPartition(customerId) },
        },
        `profile items of customer ${customerId}`,
      ),
  };
}
