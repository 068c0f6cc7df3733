import { Size } from 'aws-cdk-lib';
import { PREFIXES } from '#lib/aws/resources.ts';
import { ENV } from '#lib/envNames.ts';
import { modelBundling } from '../ModelRuntime.ts';
import type { Storage } from '../Storage.ts';
import type { UrlFunction, UrlFunctionProps } from '../UrlFunction.ts';

/** Stack-wide options every API construct applies to its function. */
export interface ApiOptions {
  storage: Storage;
  /** Browser origins allowed to call the URL (CORS); off when absent. */
  corsOrigins?: string[];
  /** Reserved concurrency per function name; unreserved when absent. */
  reservedConcurrency?: Record<string, number>;
  tracing: boolean;
}

/** The props of an API's function that come from the stack-wide options. */
export function commonProps(
  name: string,
  options: ApiOptions,
): Pick<UrlFunctionProps, 'name' | 'corsOrigins' | 'reservedConcurrency' | 'tracing'> {
  const reserved = options.reservedConcurrency?.[name];
  return {
    name,
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    ...(reserved !== undefined ? { reservedConcurrency: reserved } : {}),
    tracing: options.tracing,
  };
}

/** The model the functions load unless `modelId` says otherwise. */
export const DEFAULT_MODEL_ID = 'Xenova/gpt2';

/** Which published model a model function loads. */
export interface ModelChoice {
  /** Model id under `models/` (default `Xenova/gpt2`). */
  modelId?: string;
  /** A published version, or `current` (default) to follow the pointer. */
  modelVersion?: string;
  /** The model for `language: "zh"` copy (a Chinese GPT-2); unset: `modelId` answers Chinese requests or refuses them. */
  zhModelId?: string;
  /** Its version, or `current` (default). */
  zhModelVersion?: string;
}

/**
 * Functions that run the gpt2-shape model. Recommend keeps 3008 MB (~1.7
 * vCPUs) for the latency of its one batched forward; generate sets its own
 * size (one vCPU by default, the cheapest per generated token). The model
 * path peaks at ~600 MB resident (`npm run bench -- --suites optimize`,
 * bundled as deployed); 1 GB of /tmp holds the ~170 MB q8 files with room
 * for a second version.
 */
export const MODEL_FUNCTION = {
  memorySize: 3008,
  ephemeralStorageSize: Size.mebibytes(1024),
  bundling: modelBundling(),
} as const;

/** Model functions read the model bucket's `models/` prefix, and know which model and where to cache it. */
export function useModel(fn: UrlFunction, storage: Storage, choice: ModelChoice): void {
  fn.useBucket(storage.modelBucket, ENV.modelBucket, {
    actions: ['s3:GetObject'],
    prefixes: [PREFIXES.models],
    why: `${fn.node.id.toLowerCase()} downloads the published model files at cold start`,
  });
  fn.setEnv(ENV.modelId, choice.modelId ?? DEFAULT_MODEL_ID);
  fn.setEnv(ENV.modelVersion, choice.modelVersion ?? 'current');
  fn.setEnv(ENV.modelCacheDir, '/tmp/models');
  if (choice.zhModelId) {
    fn.setEnv(ENV.modelIdZh, choice.zhModelId);
    fn.setEnv(ENV.modelVersionZh, choice.zhModelVersion ?? 'current');
  }
}
