import { s3Client } from '../aws/clients.ts';
import { config } from '../config.ts';
import { ENV } from '../envNames.ts';
import { ModelNotPublishedError } from '../errors.ts';
import { MetricUnit, metrics } from '../metrics.ts';
import { type LoadedModel, type LoadOptions, loadModel } from './loadModel.ts';
import type { TextModel } from './textModel.ts';

/**
 * Wraps a loader so that every caller shares one load: the first call starts
 * it, concurrent and later calls get the same promise. A failed load is
 * forgotten, so the next call retries (e.g. after the model is published).
 */
export function sharedLoader(load: () => Promise<LoadedModel>): () => Promise<LoadedModel> {
  let loading: Promise<LoadedModel> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

function optionsFromConfig(): Omit<LoadOptions, 's3'> {
  const cfg = config();
  if (!cfg.model.id) {
    throw new ModelNotPublishedError(
      `This function has no model configured: set ${ENV.modelId} (the CDK stack and npm start set it).`,
    );
  }
  return {
    bucket: cfg.modelBucket,
    id: cfg.model.id,
    version: cfg.model.version,
    cacheDir: cfg.model.cacheDir,
  };
}

/**
 * The process-wide model, loaded once per container from the configured
 * bucket, id and version.
 *
 * @example
 * ```ts
 * const { model } = await getModel();
 * ```
 */
export const getModel = sharedLoader(async () => {
  const loaded = await loadModel({ ...optionsFromConfig(), s3: s3Client() });
  metrics().addMetric('ModelLoadTime', MetricUnit.Milliseconds, loaded.loadMs);
  return loaded;
});

/** The process-wide model and how long this request waited for it (its share of a cold start). */
export interface ModelForRequest {
  model: TextModel;
  loadMs: number;
}

/**
 * Waits for the process-wide model and measures the wait, the one way every
 * model-backed request gets its model.
 *
 * @example
 * ```ts
 * const { model, loadMs } = await modelForRequest();
 * ```
 */
export async function modelForRequest(): Promise<ModelForRequest> {
  const waited = performance.now();
  const { model } = await getModel();
  return { model, loadMs: performance.now() - waited };
}

/**
 * Starts loading the model at cold start, so the first request waits less;
 * a failure is not thrown here but surfaces on the requests that need it.
 */
export function warmModel(): void {
  getModel().catch(() => undefined);
}
