import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Config, config } from '../config.ts';
import { traced, tracingReady } from '../tracing.ts';

// The tracer (when tracing is on) must exist before the first client is made.
await tracingReady;

/**
 * The one retry layer for failed calls: the SDK's standard strategy
 * (exponential backoff with jitter, throttling-aware), 5 attempts in all.
 * `lib/aws/batch.ts` retries only what DynamoDB answers as unprocessed,
 * which the SDK cannot see as a failure.
 */
export const SDK_RETRY = { retryMode: 'standard', maxAttempts: 5 } as const;

/**
 * `client` without the SDK's logger middleware. Muse logs no SDK call, but
 * the middleware still runs each call's input and output through the
 * sensitive-data log filter (the default logger's no-op `info` is called
 * with them), walking every item of every page: 6 % of the nightly job's
 * CPU in a profile. Removing it changes nothing that is logged.
 */
function withoutCallLog<C extends S3Client | DynamoDBClient>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

/** Credentials the emulators accept; they check only that some are present. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Creates an S3 client for `cfg`. In local mode it targets s3rver with path-style
 * addressing and checksums only when required: otherwise the SDK sends
 * streamed uploads with aws-chunked framing that s3rver stores verbatim.
 */
export function createS3Client(cfg: Pick<Config, 'region' | 'local'>): S3Client {
  if (!cfg.local) return traced(withoutCallLog(new S3Client({ region: cfg.region, ...SDK_RETRY })));
  return withoutCallLog(
    new S3Client({
      region: cfg.region,
      ...SDK_RETRY,
      endpoint: cfg.local.s3Endpoint,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  );
}

/** Creates a DynamoDB client for `cfg` (dynalite in local mode). */
export function createDynamoClient(cfg: Pick<Config, 'region' | 'local'>): DynamoDBClient {
  if (!cfg.local)
    return traced(withoutCallLog(new DynamoDBClient({ region: cfg.region, ...SDK_RETRY })));
  return withoutCallLog(
    new DynamoDBClient({
      region: cfg.region,
      ...SDK_RETRY,
      endpoint: cfg.local.dynamoEndpoint,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
}

let s3: S3Client | undefined;
let dynamo: DynamoDBClient | undefined;
let doc: DynamoDBDocumentClient | undefined;

/** The process-wide S3 client (created on first use, reused across invocations). */
export function s3Client(): S3Client {
  s3 ??= createS3Client(config());
  return s3;
}

/** The process-wide low-level DynamoDB client. */
export function dynamoClient(): DynamoDBClient {
  dynamo ??= createDynamoClient(config());
  return dynamo;
}

/** The process-wide DynamoDB document client (native JS values, undefined removed). */
export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(dynamoClient(), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return doc;
}
