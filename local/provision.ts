import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BucketDefinition, TableDefinition } from '#lib/aws/resources.ts';

/** What {@link ensureResources} created and what was already there. */
export interface ProvisionResult {
  created: string[];
  existing: string[];
}

/** Builds the CreateTable input for a shared table definition. */
export function createTableInput(def: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, 'S' | 'N'>();
  const add = (a?: { name: string; type: 'S' | 'N' }) => {
    if (a) attributes.set(a.name, a.type);
  };
  add(def.partitionKey);
  add(def.sortKey);
  for (const index of def.globalSecondaryIndexes) {
    add(index.partitionKey);
    add(index.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: [
      { AttributeName: def.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: def.sortKey.name, KeyType: 'RANGE' },
    ],
    ...(def.globalSecondaryIndexes.length > 0
      ? {
          GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [
              { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
              ...(index.sortKey
                ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }]
                : []),
            ],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

/** Seconds {@link ensureResources} waits for a table to become ACTIVE. */
const TABLE_ACTIVE_WAIT_SECONDS = 30;

/**
 * Waits until a table is ACTIVE. An emulator stopped in the instant after
 * CreateTable can persist a table as CREATING for good (dynalite flips the
 * status on a timer); that is named, with the way out, rather than left to
 * fail later as "Requested resource not found".
 */
async function waitActive(dynamo: DynamoDBClient, name: string): Promise<void> {
  try {
    await waitUntilTableExists(
      { client: dynamo, maxWaitTime: TABLE_ACTIVE_WAIT_SECONDS, minDelay: 1, maxDelay: 2 },
      { TableName: name },
    );
  } catch {
    throw new Error(
      `Table ${name} did not become ACTIVE within ${TABLE_ACTIVE_WAIT_SECONDS} s. If the local data directory was left by a run stopped while creating it, delete that directory (or the table's data) and start again.`,
    );
  }
}

async function tableExists(dynamo: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: name }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
  await waitActive(dynamo, name);
  return true;
}

async function bucketExists(s3: S3Client, name: string): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
      return false;
    }
    throw error;
  }
}

/**
 * Creates the tables and buckets that are missing, from the same definitions
 * the CDK stack uses, and returns once every table is ACTIVE. Idempotent: `npm start` and the test setup both call it.
 *
 * @example
 * ```ts
 * await ensureResources({ dynamo, s3, tables: [[APP_TABLE, 'muse-app']], buckets: [[MODELS_BUCKET, 'muse-models']] });
 * ```
 */
export async function ensureResources(input: {
  dynamo: DynamoDBClient;
  s3: S3Client;
  tables: ReadonlyArray<readonly [TableDefinition, string]>;
  buckets: ReadonlyArray<readonly [BucketDefinition, string]>;
}): Promise<ProvisionResult> {
  const result: ProvisionResult = { created: [], existing: [] };
  for (const [def, name] of input.tables) {
    if (await tableExists(input.dynamo, name)) {
      result.existing.push(`table ${name}`);
      continue;
    }
    await input.dynamo.send(new CreateTableCommand(createTableInput(def, name)));
    await waitActive(input.dynamo, name);
    result.created.push(`table ${name}`);
  }
  for (const [, name] of input.buckets) {
    if (await bucketExists(input.s3, name)) {
      result.existing.push(`bucket ${name}`);
      continue;
    }
    await input.s3.send(new CreateBucketCommand({ Bucket: name }));
    result.created.push(`bucket ${name}`);
  }
  return result;
}
