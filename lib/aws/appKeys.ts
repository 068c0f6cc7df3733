import { APP_PARTITIONS } from './resources.ts';
/**
 * Keys of the app table (single-table design, `pk`/`sk`, see `APP_TABLE`).
 * Every item about one customer lives in that customer's partition, so
 * erasure is one Query and a batch of deletes, and IAM can confine a
 * function to customer partitions with a `dynamodb:LeadingKeys` condition.
 *
 * | entity | pk | sk |
 * |---|---|---|
 * | customer profile state (insights) | `CUSTOMER#<id>` | `PROFILE` |
 */

/** Prefix of every customer partition key (used in IAM conditions too). */
export const CUSTOMER_PK_PREFIX = APP_PARTITIONS.customerPrefix;

/** Partition key of everything stored about one customer. */
export function customerPartition(customerId: string): string {
  return `${CUSTOMER_PK_PREFIX}${customerId}`;
}
