import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readManifest } from '../model/cache.ts';
import { modelPrefix, weightsSha256 } from '../model/manifest.ts';

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
  /** The model the functions are configured to load, and whether it can be served. */
  model?: ModelStatus;
  checkedAt: string;
}

/** Whether generate and recommend can load their model, and if not, why. */
export interface ModelStatus {
  id: string;
  /** As configured: a version or `current`. */
  version: string;
  ok: boolean;
  /** The version `current` resolves to, when a manifest was found. */
  resolved?: string;
  /** Weights sha256 from the manifest. */
  sha256?: string;
  /** Why the model cannot be served (what generate and recommend answer 503 with), or `loadable`. */
  detail: string;
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
  /** The model to check, in the model bucket (`buckets.models`). */
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

/**
 * What a model function would find: the pointer and manifest (as it reads
 * them), then every file the manifest lists, with the size it lists (HEAD
 * requests; a function verifies the bytes' sha256 itself when it loads).
 */
async function modelStatus(
  s3: S3Client,
  bucket: string,
  model: { id: string; version: string },
): Promise<ModelStatus> {
  try {
    const manifest = await readManifest({ s3, bucket, ...model });
    const prefix = modelPrefix(manifest.id, manifest.version);
    for (const file of manifest.files) {
      const head = await s3
        .send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}${file.path}` }))
        .catch(() => undefined);
      if (head?.ContentLength !== file.bytes) {
        return {
          ...model,
          ok: false,
          resolved: manifest.version,
          detail: `${file.path} is ${head ? `${head.ContentLength} bytes, the manifest says ${file.bytes}` : 'missing'}: republish the model (npm run model:publish)`,
        };
      }
    }
    return {
      ...model,
      ok: true,
      resolved: manifest.version,
      sha256: weightsSha256(manifest),
      detail: 'loadable',
    };
  } catch (error) {
    return { ...model, ok: false, detail: (error as Error).message };
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
  const modelBucket = deps.buckets.models;
  const [tables, buckets, model] = await Promise.all([
    all(deps.tables, (name) => tableStatus(deps.dynamo, name)),
    all(deps.buckets, (name) => bucketStatus(deps.s3, name)),
    deps.model && modelBucket ? modelStatus(deps.s3, modelBucket, deps.model) : undefined,
  ]);
  const ok =
    [...Object.values(tables), ...Object.values(buckets)].every((r) => r.ok) && (model?.ok ?? true);
  return {
    status: ok ? 'ok' : 'degraded',
    mode: deps.mode,
    tables,
    buckets,
    ...(model ? { model } : {}),
    checkedAt: new Date().toISOString(),
  };
}
