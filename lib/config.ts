import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  DEFAULT_CURRENCY,
  DEFAULT_EVENT_SHARDS,
  DEFAULT_GENERATE_MEMORY_MB,
  DEFAULT_RETENTION_DAYS,
  ENV,
  MAX_EVENT_SHARDS,
  MB_PER_VCPU,
} from './envNames.ts';

const name = (label: string) =>
  z
    .string({ error: `is required (${label})` })
    .trim()
    .min(1, { error: `must not be empty (${label})` });

const endpoint = z
  .url({ error: 'must be an http(s) URL such as http://127.0.0.1:4569' })
  .optional();

/**
 * Default recommendation blend: co-visitation, need text match, popularity
 * and the language model's PMI, each normalised to 0–1 over the candidates.
 */
export const DEFAULT_RECS_WEIGHTS = { collaborative: 0.5, text: 0.3, popularity: 0.2, lm: 0.25 };

/**
 * When recommendations are re-ranked by the language model: `auto` only
 * with real weights (a random-weight model's PMI is noise), `on` always
 * (tests and benchmarks of the path), `off` never.
 */
export const RECS_LM_MODES = ['auto', 'on', 'off'] as const;

const modelIdVar = z
  .string()
  .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/, {
    error: 'must look like owner/name, e.g. Xenova/gpt2',
  })
  .optional();
const modelVersionVar = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, { error: 'must be a published version label or "current"' })
  .default('current');

const configSchema = z.object({
  [ENV.appTable]: name('the app DynamoDB table name'),
  [ENV.eventsTable]: name('the events DynamoDB table name'),
  [ENV.modelBucket]: name('the S3 bucket holding models'),
  [ENV.reportsBucket]: name('the S3 bucket holding nightly reports'),
  [ENV.dynamoEndpoint]: endpoint,
  [ENV.s3Endpoint]: endpoint,
  [ENV.modelId]: modelIdVar,
  [ENV.modelVersion]: modelVersionVar,
  [ENV.modelIdZh]: modelIdVar,
  [ENV.modelVersionZh]: modelVersionVar,
  [ENV.modelCacheDir]: z.string().min(1).optional(),
  [ENV.eventRetentionDays]: z.coerce
    .number({ error: 'must be a whole number of days' })
    .int({ error: 'must be a whole number of days' })
    .min(1, { error: 'must be at least 1 day' })
    .max(3650, { error: 'must be at most 3650 days' })
    .default(DEFAULT_RETENTION_DAYS),
  [ENV.eventShards]: z.coerce
    .number({ error: 'must be a number of shards' })
    .int({ error: 'must be a whole number of shards' })
    .refine((n) => n >= 1 && n <= MAX_EVENT_SHARDS && (n & (n - 1)) === 0, {
      error: `must be a power of two from 1 to ${MAX_EVENT_SHARDS}`,
    })
    .default(DEFAULT_EVENT_SHARDS),
  [ENV.currency]: z
    .string()
    .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 currency code such as USD or EUR' })
    .default(DEFAULT_CURRENCY),
  [ENV.copyBlocklist]: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((w) => w.trim().toLowerCase())
        .filter(Boolean),
    ),
  [ENV.exemplarCacheSeconds]: z.coerce
    .number({ error: 'must be a whole number of seconds' })
    .int()
    .min(0)
    .max(86_400)
    .default(300),
  [ENV.recsLm]: z
    .enum(RECS_LM_MODES, { error: `must be one of ${RECS_LM_MODES.join(', ')}` })
    .default('auto'),
  [ENV.recsWeights]: z
    .string()
    .default('')
    .transform((v, ctx) => {
      const weights = { ...DEFAULT_RECS_WEIGHTS };
      for (const pair of v.split(',').filter((p) => p.trim())) {
        const [key = '', value = ''] = pair.split('=').map((p) => p.trim());
        const n = Number(value);
        if (!(key in weights) || !Number.isFinite(n) || n < 0) {
          ctx.addIssue({
            code: 'custom',
            message: `has "${pair}": use name=weight pairs with names ${Object.keys(DEFAULT_RECS_WEIGHTS).join(', ')} and weights ≥ 0`,
          });
          return z.NEVER;
        }
        weights[key as keyof typeof weights] = n;
      }
      return weights;
    }),
  [ENV.lambdaGbSecondUsd]: z.coerce
    .number({ error: 'must be a price in USD, e.g. 0.0000133334' })
    .min(0)
    .default(0.0000133334),
  [ENV.lambdaMemoryMb]: z.coerce
    .number({ error: 'must be a whole number of MB' })
    .int()
    .min(128)
    .default(DEFAULT_GENERATE_MEMORY_MB),
  [ENV.logLevel]: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  [ENV.region]: z.string().min(1).default('us-east-1'),
});

/** Muse's configuration, parsed from the environment once, section by section (see {@link parseConfig}). */
export interface Config {
  /** DynamoDB table for profiles, campaigns, catalog, co-visits and jobs. */
  appTable: string;
  /** DynamoDB table for raw engagement events. */
  eventsTable: string;
  /** S3 bucket for models. */
  modelBucket: string;
  /** S3 bucket for nightly reports. */
  reportsBucket: string;
  /** AWS region. */
  region: string;
  /**
   * Model to load: id (unset in functions that use no model), version or
   * `current`, cache dir; `zh`, the model for Chinese copy when it is another;
   * `threads`, onnxruntime's intra-op threads: on Lambda the vCPUs its
   * memory buys (round(memory / {@link MB_PER_VCPU}), at least 1, at most
   * the CPUs the process sees: Lambda can show a process more CPUs than
   * its memory's share of CPU time, and a second thread on one vCPU only
   * contends), elsewhere every CPU.
   */
  model: {
    id?: string;
    version: string;
    cacheDir: string;
    threads: number;
    zh?: { id: string; version: string };
  };
  /** Engagement events: how long they are kept. */
  events: { retentionDays: number; shards: number };
  /** Nightly insights: the currency revenue is reported in (`MUSE_CURRENCY`, default USD). */
  insights: { currency: string };
  /** What a model-backed call costs (every model-backed response reports it). */
  pricing: { gbSecondUsd: number; memoryMb: number };
  /** Copywriting: extra blocked phrases (lower case) and how long exemplars are cached. */
  copy: {
    blocklist: string[];
    /** How long a container reuses a kind's exemplars (they change nightly). */
    exemplarCacheMs: number;
  };
  /** Recommendations: blend weights (`MUSE_RECS_WEIGHTS`) and when the LM re-ranks (`MUSE_RECS_LM`). */
  recommend: { weights: typeof DEFAULT_RECS_WEIGHTS; lm: (typeof RECS_LM_MODES)[number] };
  /** Minimum log level. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Emulator endpoints; present only when running locally. */
  local?: { dynamoEndpoint: string; s3Endpoint: string };
}

/** Raised when the environment does not describe a usable configuration. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses the named variables of `env` with their schemas; a {@link ConfigError} names each bad one. */
function parseSection<K extends keyof typeof configSchema.shape>(
  env: Record<string, string | undefined>,
  names: readonly K[],
): z.output<z.ZodObject<Pick<typeof configSchema.shape, K>>> {
  const mask = Object.fromEntries(names.map((n) => [n, true])) as { [P in K]: true };
  const parsed = configSchema.pick(mask as never).safeParse(env);
  if (parsed.success) return parsed.data as never;
  const problems = parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message}`);
  throw new ConfigError(
    `Invalid Muse configuration:\n  - ${problems.join('\n  - ')}\n` +
      'Set these environment variables (npm start sets them for you locally; the CDK stack sets them on each function that reads them).',
  );
}

/** Defines `key` on `target` as a getter that computes once, on first read. */
function lazy<T extends object, K extends keyof T>(target: T, key: K, compute: () => T[K]): void {
  let value: T[K] | undefined;
  let done = false;
  Object.defineProperty(target, key, {
    enumerable: true,
    get: () => {
      if (!done) {
        value = compute();
        done = true;
      }
      return value as T[K];
    },
  });
}

/**
 * Parses an environment into a {@link Config}, section by section: the
 * shared settings (region, log level, emulator endpoints) at once, and each
 * table, bucket and capability section when it is first read, so a function
 * needs only the variables it uses. A bad or missing variable throws a
 * {@link ConfigError} naming it and how to fix it; handlers read their
 * sections at module load, so that happens at cold start.
 *
 * @example
 * ```ts
 * const config = parseConfig({ MUSE_APP_TABLE: 'app' });
 * config.appTable; // 'app'
 * config.eventsTable; // throws: MUSE_EVENTS_TABLE is required
 * ```
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const shared = parseSection(env, [ENV.region, ENV.logLevel, ENV.dynamoEndpoint, ENV.s3Endpoint]);
  const dynamoEndpoint = shared[ENV.dynamoEndpoint];
  const s3Endpoint = shared[ENV.s3Endpoint];
  if (Boolean(dynamoEndpoint) !== Boolean(s3Endpoint)) {
    throw new ConfigError(
      `Invalid Muse configuration: set both ${ENV.dynamoEndpoint} and ${ENV.s3Endpoint} (local mode) or neither (AWS).`,
    );
  }
  const cfg = {
    region: shared[ENV.region],
    logLevel: shared[ENV.logLevel],
    ...(dynamoEndpoint && s3Endpoint ? { local: { dynamoEndpoint, s3Endpoint } } : {}),
  } as Config;
  lazy(cfg, 'appTable', () => parseSection(env, [ENV.appTable])[ENV.appTable]);
  lazy(cfg, 'eventsTable', () => parseSection(env, [ENV.eventsTable])[ENV.eventsTable]);
  lazy(cfg, 'modelBucket', () => parseSection(env, [ENV.modelBucket])[ENV.modelBucket]);
  lazy(cfg, 'reportsBucket', () => parseSection(env, [ENV.reportsBucket])[ENV.reportsBucket]);
  lazy(cfg, 'events', () => {
    const e = parseSection(env, [ENV.eventRetentionDays, ENV.eventShards]);
    return { retentionDays: e[ENV.eventRetentionDays], shards: e[ENV.eventShards] };
  });
  lazy(cfg, 'insights', () => ({ currency: parseSection(env, [ENV.currency])[ENV.currency] }));
  lazy(cfg, 'pricing', () => {
    const e = parseSection(env, [ENV.lambdaGbSecondUsd, ENV.lambdaMemoryMb]);
    return { gbSecondUsd: e[ENV.lambdaGbSecondUsd], memoryMb: e[ENV.lambdaMemoryMb] };
  });
  lazy(cfg, 'copy', () => {
    const e = parseSection(env, [ENV.copyBlocklist, ENV.exemplarCacheSeconds]);
    return {
      blocklist: e[ENV.copyBlocklist],
      exemplarCacheMs: e[ENV.exemplarCacheSeconds] * 1000,
    };
  });
  lazy(cfg, 'recommend', () => {
    const e = parseSection(env, [ENV.recsWeights, ENV.recsLm]);
    return { weights: e[ENV.recsWeights], lm: e[ENV.recsLm] };
  });
  lazy(cfg, 'model', () => {
    const e = parseSection(env, [
      ENV.modelId,
      ENV.modelVersion,
      ENV.modelCacheDir,
      ENV.modelIdZh,
      ENV.modelVersionZh,
      ENV.lambdaMemoryMb,
    ]);
    const zh = e[ENV.modelIdZh];
    const cpus = availableParallelism();
    // Only where Lambda set the variable: its default stands in for local cost estimates.
    const vcpus = env[ENV.lambdaMemoryMb] ? Math.round(e[ENV.lambdaMemoryMb] / MB_PER_VCPU) : cpus;
    return {
      threads: Math.max(1, Math.min(cpus, vcpus)),
      ...(e[ENV.modelId] ? { id: e[ENV.modelId] } : {}),
      version: e[ENV.modelVersion],
      cacheDir: e[ENV.modelCacheDir] ?? join(tmpdir(), 'models'),
      ...(zh ? { zh: { id: zh, version: e[ENV.modelVersionZh] } } : {}),
    };
  });
  return cfg;
}

let loaded: Config | undefined;

/**
 * The process-wide configuration, parsed from `process.env` on first use and
 * then cached. Handlers call it at module load so a misconfigured function
 * fails its cold start with a message naming the variable.
 */
export function config(): Config {
  loaded ??= parseConfig(process.env);
  return loaded;
}

/** When recommendations are re-ranked by the language model (see {@link RECS_LM_MODES}). */
export type RecsLmMode = (typeof RECS_LM_MODES)[number];
