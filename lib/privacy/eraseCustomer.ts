import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { customerPartition } from '../aws/appKeys.ts';
import { deleteWhere } from '../aws/batch.ts';
import { CustomerId } from '../events/schema.ts';
import type { EventStore } from '../events/store.ts';
import { validate } from '../validation.ts';

/** One place that holds a customer's personal data and can remove it. */
export interface CustomerDataEraser {
  /** What it removes, e.g. `events`; the key of the count in the result. */
  readonly name: string;
  /** Removes the customer's data; returns how many records were removed (0 when none). */
  erase(customerId: string): Promise<number>;
}

/** What an erasure removed, per store. */
export interface ErasureResult {
  customerId: string;
  removed: Record<string, number>;
  erasedAt: string;
}

/**
 * Removes everything Muse holds about a customer, from every store that holds
 * personal data. Idempotent: erasing again removes nothing more and reports
 * zeros. Aggregates that do not identify anyone (co-visitation counts) stay.
 *
 * @example
 * ```ts
 * const result = await eraseCustomer('c-42', [eventsEraser(store), profileEraser(doc, table)]);
 * ```
 */
export async function eraseCustomer(
  id: string,
  erasers: readonly CustomerDataEraser[],
  now: () => Date = () => new Date(),
): Promise<ErasureResult> {
  const customerId = validate(CustomerId, id, 'customerId in the path');
  const counts = await Promise.all(erasers.map((e) => e.erase(customerId)));
  return {
    customerId,
    removed: Object.fromEntries(erasers.map((e, i) => [e.name, counts[i] as number])),
    erasedAt: now().toISOString(),
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
