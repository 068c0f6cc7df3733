import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
} from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '../aws/batch.ts';
import { APP_PARTITIONS } from '../aws/resources.ts';
import { ServiceUnavailableError } from '../errors.ts';

/** A customer whose erasure was asked for and is not yet complete in every stored object. */
export interface PendingErasure {
  customerId: string;
  /** When the erasure was asked for (UTC ISO). */
  requestedAt: string;
}

/**
 * The erasure records: written first by `DELETE /customers/{id}`, consulted
 * by the read paths that serve stored per-customer data (insights, the
 * customers CSV), and worked off by one writer, the nightly job, which
 * removes the ids from every stored report and job file and then completes
 * the records. One DynamoDB implementation ({@link DynamoErasureStore}).
 */
export interface ErasureStore {
  /** Records an erasure request (idempotent: an earlier request keeps its time; `created` says which). */
  request(customerId: string, at: Date): Promise<PendingErasure & { created: boolean }>;
  /** Whether the customer has a pending erasure (one item read). */
  isPending(customerId: string): Promise<boolean>;
  /** Every pending erasure (one Query of the erasure partition: O(pending)). */
  pending(): Promise<PendingErasure[]>;
  /** Marks erasures complete: every stored object was cleaned after they were asked for. */
  complete(customerIds: readonly string[]): Promise<void>;
}

/** {@link ErasureStore} on the app table: partition `ERASURES`, sort key the customer id. */
export class DynamoErasureStore implements ErasureStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async request(customerId: string, at: Date): Promise<PendingErasure & { created: boolean }> {
    const record = { customerId, requestedAt: at.toISOString() };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: APP_PARTITIONS.erasures, sk: customerId, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { ...record, created: true };
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      const found = await this.doc.send(
        new GetCommand({
          TableName: this.table,
          Key: { pk: APP_PARTITIONS.erasures, sk: customerId },
        }),
      );
      const requestedAt = String(found.Item?.requestedAt ?? record.requestedAt);
      return { customerId, requestedAt, created: false };
    }
  }

  async isPending(customerId: string): Promise<boolean> {
    const found = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: APP_PARTITIONS.erasures, sk: customerId },
        ProjectionExpression: 'pk',
      }),
    );
    return found.Item !== undefined;
  }

  async pending(): Promise<PendingErasure[]> {
    const out: PendingErasure[] = [];
    const pages = paginateQuery(
      { client: this.doc },
      {
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': APP_PARTITIONS.erasures },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        out.push({ customerId: String(item.customerId), requestedAt: String(item.requestedAt) });
      }
    }
    return out;
  }

  async complete(customerIds: readonly string[]): Promise<void> {
    const result = await batchWrite(
      this.doc,
      this.table,
      [...new Set(customerIds)].map((sk) => ({ delete: { pk: APP_PARTITIONS.erasures, sk } })),
    );
    if (result.failed.length > 0) {
      throw new ServiceUnavailableError(
        `Could not complete ${result.failed.length} erasure records (${result.failed[0]?.reason}); the nightly run is idempotent: run it again.`,
        30,
      );
    }
  }
}
