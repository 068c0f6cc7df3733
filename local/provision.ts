import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
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

async function tableExists(dynamo: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
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
 * the CDK stack uses. Idempotent: `npm start` and the test setup both call it.
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
