/**
 * The names of every environment variable Muse reads.
 *
 * Both `infra/` (which sets them on each function, next to the grant that
 * makes them usable) and `lib/config.ts` (which parses them) import this
 * module, so a name can never drift between the two.
 */
/**
 * Default of {@link ENV.eventRetentionDays}: days events, and everything
 * derived from them per customer (reports, job files, signals), are kept.
 */
export const DEFAULT_RETENTION_DAYS = 400;

/**
 * Default of {@link ENV.eventShards}, and the count of every day written
 * before counts were recorded. Each shard is one partition key, and DynamoDB
 * writes at most 1,000 items/s to one, so 16 shards take 16,000 events/s at
 * best (~10,000/s with the uneven spread of a hash).
 */
export const DEFAULT_EVENT_SHARDS = 16;
/** The most shards a day may have (the nightly job runs one map task per shard). */
export const MAX_EVENT_SHARDS = 1024;

/**
 * Lambda's memory per full vCPU: it allocates CPU in proportion to memory,
 * one vCPU's worth at 1,769 MB (AWS Lambda developer guide, "Memory and
 * computing power"). A model function runs round(memory / this) intra-op
 * threads.
 */
export const MB_PER_VCPU = 1769;

/**
 * The generate function's memory (CDK context `generateMemory` changes it):
 * one vCPU, the cheapest size per generated token for gpt2 and distilgpt2
 * (`npm run bench -- --suites sizing`: a second vCPU decoded 0.92–1.16× as
 * fast for twice the GB-seconds). Local mode prices calls at it too.
 */
export const DEFAULT_GENERATE_MEMORY_MB = MB_PER_VCPU;

/** Default of {@link ENV.currency}. */
export const DEFAULT_CURRENCY = 'USD';

export const ENV = {
  /** Name of the DynamoDB table holding profiles, campaigns, catalog and jobs. */
  appTable: 'MUSE_APP_TABLE',
  /** Name of the DynamoDB table holding raw engagement events. */
  eventsTable: 'MUSE_EVENTS_TABLE',
  /** S3 bucket holding published models under `models/<id>/<version>/`. */
  modelBucket: 'MUSE_MODEL_BUCKET',
  /** S3 bucket holding nightly reports under `reports/<date>/`. */
  reportsBucket: 'MUSE_REPORTS_BUCKET',
  /** Local mode only: DynamoDB endpoint (dynalite). Unset in AWS. */
  dynamoEndpoint: 'MUSE_DYNAMODB_ENDPOINT',
  /** Local mode only: S3 endpoint (s3rver). Unset in AWS. */
  s3Endpoint: 'MUSE_S3_ENDPOINT',
  /** Model id under `models/` in the model bucket, e.g. `Xenova/gpt2`. */
  modelId: 'MUSE_MODEL_ID',
  /** Model version to load, or `current` (default) to follow the pointer. */
  modelVersion: 'MUSE_MODEL_VERSION',
  /** Model id for `language: "zh"` copy (a Chinese GPT-2); unset: the `MUSE_MODEL_ID` model, if its tokenizer writes Chinese. */
  modelIdZh: 'MUSE_MODEL_ID_ZH',
  /** Version of the `MUSE_MODEL_ID_ZH` model, or `current` (default). */
  modelVersionZh: 'MUSE_MODEL_VERSION_ZH',
  /** Local cache for model files (default `<os tmpdir>/models`, i.e. `/tmp/models` on Lambda). */
  modelCacheDir: 'MUSE_MODEL_CACHE_DIR',
  /** Days engagement events are kept (DynamoDB TTL); older events are rejected. Default 400. */
  eventRetentionDays: 'MUSE_EVENT_RETENTION_DAYS',
  /** Shards a day's events are written in: a power of two up to 1,024 (default 16); each day keeps its own. */
  eventShards: 'MUSE_EVENT_SHARDS',
  /** ISO 4217 code the nightly report shows revenue in. */
  currency: 'MUSE_CURRENCY',
  /** Extra blocked words/phrases for generated copy, comma-separated (added to the built-in list). */
  copyBlocklist: 'MUSE_COPY_BLOCKLIST',
  /** Seconds a generate container reuses a kind's exemplars before reading them again (default 300). */
  exemplarCacheSeconds: 'MUSE_EXEMPLAR_CACHE_SECONDS',
  /** Recommendation blend weights, e.g. `collaborative=0.5,text=0.3,popularity=0.2,lm=0.25`. */
  recsWeights: 'MUSE_RECS_WEIGHTS',
  /** LM re-ranking of recommendations: `auto` (default: only with real weights), `on` or `off`. */
  recsLm: 'MUSE_RECS_LM',
  /** Lambda price per GB-second in USD for cost estimates (default: arm64, us-east-1). */
  lambdaGbSecondUsd: 'MUSE_LAMBDA_GB_SECOND_USD',
  /** Lambda memory in MB; Lambda sets it, local mode uses the generate function's default ({@link DEFAULT_GENERATE_MEMORY_MB}). */
  lambdaMemoryMb: 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  /** Log level: debug, info, warn or error. */
  logLevel: 'MUSE_LOG_LEVEL',
  /** AWS region; Lambda sets it, local mode defaults it. */
  region: 'AWS_REGION',
} as const;

/** One of the environment variable names in {@link ENV}. */
export type EnvName = (typeof ENV)[keyof typeof ENV];
