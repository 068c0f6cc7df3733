/**
 * The storage Muse needs, described once. The CDK stack (`infra/`) creates
 * these in AWS and the local stack (`local/provision.ts`) creates the same
 * keys, indexes and buckets in dynalite and s3rver, so the two cannot drift.
 */

/** A key attribute of a table or index. */
export interface KeyAttribute {
  name: string;
  type: 'S' | 'N';
}

/** A global secondary index (all attributes projected). */
export interface IndexDefinition {
  indexName: string;
  partitionKey: KeyAttribute;
  sortKey?: KeyAttribute;
}

/** A DynamoDB table: keys, indexes and TTL attribute. */
export interface TableDefinition {
  /** Logical id in the stack and the local name suffix (`muse-<id>`). */
  id: 'app' | 'events';
  partitionKey: KeyAttribute;
  sortKey: KeyAttribute;
  globalSecondaryIndexes: IndexDefinition[];
  /** Attribute holding an epoch-seconds expiry, if the table uses TTL. */
  timeToLiveAttribute?: string;
}

/** An S3 bucket. */
export interface BucketDefinition {
  /** Logical id in the stack and the local name suffix (`muse-<id>`). */
  id: 'models' | 'reports';
  /** Whether to keep object versions (models: yes, for rollbacks). */
  versioned: boolean;
}

/**
 * Application table: customer profiles, campaigns, catalog items, co-visitation
 * counts and job state, single-table design with `pk`/`sk`.
 */
export const APP_TABLE: TableDefinition = {
  id: 'app',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [],
};

/**
 * Events table: partition `D#<day>#<shard>` so a day splits into a fixed
 * number of shards read in parallel; sort key `<ts>#<eventId>`; index
 * `byCustomer` (`customerKey` = `C#<customerId>`, sort `ts#eventId`) for a
 * customer's history; `expiresAt` TTL for retention.
 */
export const EVENTS_TABLE: TableDefinition = {
  id: 'events',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'byCustomer',
      partitionKey: { name: 'customerKey', type: 'S' },
      sortKey: { name: 'sk', type: 'S' },
    },
  ],
  timeToLiveAttribute: 'expiresAt',
};

/** Model bucket: `models/<id>/<version>/…` plus `models/<id>/current`. */
export const MODELS_BUCKET: BucketDefinition = { id: 'models', versioned: true };

/** Reports bucket: `reports/<date>/…` written by the nightly job. */
export const REPORTS_BUCKET: BucketDefinition = { id: 'reports', versioned: false };

/** Every table Muse uses. */
export const TABLES: readonly TableDefinition[] = [APP_TABLE, EVENTS_TABLE];

/** Every bucket Muse uses. */
export const BUCKETS: readonly BucketDefinition[] = [MODELS_BUCKET, REPORTS_BUCKET];

/** The name a resource gets in the local emulators, e.g. `muse-events`. */
export function localName(resource: { id: string }): string {
  return `muse-${resource.id}`;
}
