import { createDynamoClient, createS3Client } from '#lib/aws/clients.ts';
import {
  APP_TABLE,
  BUCKETS,
  EVENTS_TABLE,
  localName,
  MODELS_BUCKET,
  REPORTS_BUCKET,
  TABLES,
} from '#lib/aws/resources.ts';
import { parseConfig } from '#lib/config.ts';
import { ENV } from '#lib/envNames.ts';
import { type EmulatorOptions, type Emulators, startEmulators } from './emulators.ts';
import { ensureResources, type ProvisionResult } from './provision.ts';
import type { LocalSettings } from './settings.ts';

/** A running local stack: emulators, provisioned resources and the env that points at them. */
export interface LocalStack {
  emulators: Emulators;
  /** Environment variables that make `lib/config.ts` target these emulators. */
  env: Record<string, string>;
  provisioned: ProvisionResult;
}

/** The environment that points Muse at local emulators. */
export function localEnv(
  emulators: Pick<Emulators, 'dynamoEndpoint' | 's3Endpoint'>,
): Record<string, string> {
  const env: Record<string, string> = {
    [ENV.appTable]: localName(APP_TABLE),
    [ENV.eventsTable]: localName(EVENTS_TABLE),
    [ENV.modelBucket]: localName(MODELS_BUCKET),
    [ENV.reportsBucket]: localName(REPORTS_BUCKET),
    [ENV.dynamoEndpoint]: emulators.dynamoEndpoint,
    [ENV.s3Endpoint]: emulators.s3Endpoint,
    [ENV.region]: 'us-east-1',
    // No CloudWatch locally: embedded-metric-format lines would only clutter the console.
    POWERTOOLS_METRICS_DISABLED: 'true',
  };
  return env;
}

/**
 * Starts the emulators and creates every table and bucket that is missing.
 * `npm start` and the test setup both go through here.
 *
 * @example
 * ```ts
 * const stack = await startLocalStack({ dataDir: '.data' });
 * Object.assign(process.env, stack.env);
 * ```
 */
export async function startLocalStack(options: EmulatorOptions): Promise<LocalStack> {
  const emulators = await startEmulators(options);
  try {
    const env = localEnv(emulators);
    const cfg = parseConfig(env);
    const dynamo = createDynamoClient(cfg);
    const s3 = createS3Client(cfg);
    const provisioned = await ensureResources({
      dynamo,
      s3,
      tables: TABLES.map((def) => [def, localName(def)] as const),
      buckets: BUCKETS.map((def) => [def, localName(def)] as const),
    });
    dynamo.destroy();
    s3.destroy();
    return { emulators, env, provisioned };
  } catch (error) {
    await emulators.stop();
    throw error;
  }
}

/**
 * Where a CLI that writes local data should write: through a running
 * `npm start` (which owns the emulators' data directory) when its bridge
 * answers `/health`, else into a local stack it starts itself (its
 * environment is applied to `process.env`; stop it when done).
 *
 * @example
 * ```ts
 * const { bridgeUrl, stack } = await runningOrLocalStack(localSettings());
 * ```
 */
export async function runningOrLocalStack(
  settings: Pick<LocalSettings, 'port' | 'dataDir'>,
): Promise<{ bridgeUrl?: string; stack?: LocalStack }> {
  const url = `http://127.0.0.1:${settings.port}`;
  const running = await fetch(`${url}/health`).then(
    (r) => r.ok,
    () => false,
  );
  if (running) return { bridgeUrl: url };
  const stack = await startLocalStack({ dataDir: settings.dataDir });
  Object.assign(process.env, stack.env);
  return { stack };
}
