import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
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
import {
  DataDirInUseError,
  type EmulatorOptions,
  type Emulators,
  isAlive,
  startEmulators,
} from './emulators.ts';
import { ensureResources, type ProvisionResult } from './provision.ts';
import type { LocalSettings } from './settings.ts';

/** How long a CLI waits for a running bridge's `/health`. */
const HEALTH_TIMEOUT_MS = 5_000;

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

/** Where a running `npm start` says its bridge is: `<dataDir>/.muse.bridge.json`. */
const bridgeFile = (dataDir: string) => join(dataDir, '.muse.bridge.json');

/**
 * Records the bridge URL of this `npm start` in its data directory, so CLIs
 * find it whatever `PORT` it was started with. Returns the function that
 * removes the record (on shutdown).
 */
export async function announceBridge(dataDir: string, url: string): Promise<() => Promise<void>> {
  const file = bridgeFile(dataDir);
  await writeFile(file, `${JSON.stringify({ pid: process.pid, url })}\n`);
  return () => rm(file, { force: true });
}

const answers = (url: string) =>
  fetch(`${url}/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) }).then(
    (r) => r.ok,
    () => false,
  );

/**
 * The bridge URL of the `npm start` serving `settings.dataDir`, if one is
 * running and answers: the one it recorded, else `PORT`.
 */
export async function findRunningBridge(
  settings: Pick<LocalSettings, 'port' | 'dataDir'>,
): Promise<string | undefined> {
  const recorded = await readFile(bridgeFile(settings.dataDir), 'utf8').then(
    (text) => z.object({ pid: z.int(), url: z.url() }).safeParse(JSON.parse(text)).data,
    () => undefined,
  );
  if (recorded && isAlive(recorded.pid) && (await answers(recorded.url))) return recorded.url;
  const url = `http://127.0.0.1:${settings.port}`;
  return (await answers(url)) ? url : undefined;
}

/**
 * Where a CLI that writes local data should write: through a running
 * `npm start` (which owns the emulators' data directory) when its bridge
 * answers `/health`, else into a local stack it starts itself (its
 * environment is applied to `process.env`; stop it when done). Rejects with
 * a {@link DataDirInUseError} when another process holds the data directory
 * without serving it (an `npm start` still starting, another CLI).
 *
 * @example
 * ```ts
 * const { bridgeUrl, stack } = await runningOrLocalStack(localSettings());
 * ```
 */
export async function runningOrLocalStack(
  settings: Pick<LocalSettings, 'port' | 'dataDir'>,
): Promise<{ bridgeUrl?: string; stack?: LocalStack }> {
  const bridgeUrl = await findRunningBridge(settings);
  if (bridgeUrl) return { bridgeUrl };
  const stack = await startLocalStack({ dataDir: settings.dataDir });
  Object.assign(process.env, stack.env);
  return { stack };
}

/**
 * Exits with the message (no stack trace) when `error` is a
 * {@link DataDirInUseError}; otherwise rethrows it. For CLIs' `.catch`.
 */
export function exitIfDataDirInUse(error: unknown): never {
  if (error instanceof DataDirInUseError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
