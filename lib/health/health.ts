import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';

/** The state of one table or bucket. */
export interface ResourceStatus {
  name: string;
  ok: boolean;
  /** Table status (`ACTIVE`) or the error that made the check fail. */
  detail: string;
}

/** The stack's status, as `GET /health` reports it. */
export interface HealthReport {
  status: 'ok' | 'degraded';
  mode: 'local' | 'aws';
  tables: Record<string, ResourceStatus>;
  buckets: Record<string, ResourceStatus>;
  /** The model the functions are configured to load (id and version or `current`). */
  model?: { id: string; version: string };
  checkedAt: string;
}

/** What {@link checkHealth} inspects. */
export interface HealthDeps {
  dynamo: DynamoDBClient;
  s3: S3Client;
  /** Logical id → table name. */
  tables: Record<string, string>;
  /** Logical id → bucket name. */
  buckets: Record<string, string>;
  mode: 'local' | 'aws';
  model?: { id: string; version: string };
}

async function tableStatus(dynamo: DynamoDBClient, name: string): Promise<ResourceStatus> {
  try {
    const out = await dynamo.send(new DescribeTableCommand({ TableName: name }));
    const state = out.Table?.TableStatus ?? 'UNKNOWN';
    return { name, ok: state === 'ACTIVE', detail: state };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).name };
  }
}

async function bucketStatus(s3: S3Client, name: string): Promise<ResourceStatus> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: name }));
    return { name, ok: true, detail: 'reachable' };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).name };
  }
}

async function all(
  names: Record<string, string>,
  check: (name: string) => Promise<ResourceStatus>,
): Promise<Record<string, ResourceStatus>> {
  const entries = await Promise.all(
    Object.entries(names).map(async ([id, name]) => [id, await check(name)] as const),
  );
  return Object.fromEntries(entries);
}

/**
 * Checks every table and bucket concurrently. Never throws: an unreachable
 * resource shows up as `ok: false` with the error name, and the overall
 * status becomes `degraded`.
 *
 * @example
 * ```ts
 * const report = await checkHealth({ dynamo, s3, tables: { app: 'muse-app' }, buckets: {}, mode: 'local' });
 * ```
 */
export async function checkHealth(deps: HealthDeps): Promise<HealthReport> {
  const [tables, buckets] = await Promise.all([
    all(deps.tables, (name) => tableStatus(deps.dynamo, name)),
    all(deps.buckets, (name) => bucketStatus(deps.s3, name)),
  ]);
  const ok = [...Object.values(tables), ...Object.values(buckets)].every((r) => r.ok);
  return {
    status: ok ? 'ok' : 'degraded',
    mode: deps.mode,
    tables,
    buckets,
    ...(deps.model ? { model: deps.model } : {}),
    checkedAt: new Date().toISOString(),
  };
}
