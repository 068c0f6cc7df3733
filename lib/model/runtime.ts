import { s3Client } from '../aws/clients.ts';
import { cachedValue } from '../cache.ts';
import { config } from '../config.ts';
import { ENV } from '../envNames.ts';
import { ModelNotPublishedError } from '../errors.ts';
import { MetricUnit, metrics } from '../metrics.ts';
import { type LoadedModel, type LoadOptions, loadModel } from './loadModel.ts';
import type { TextModel } from './textModel.ts';

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
export const getModel = cachedValue(async (): Promise<LoadedModel> => {
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
 * Starts loading the model at cold start, so the first request waits less.
 * A missing or bad variable throws here (the cold start fails naming it); a
 * failed load is not thrown but surfaces on the requests that need the model.
 */
export function warmModel(): void {
  const cfg = config();
  // Read the sections now: a bad variable fails the cold start, naming it.
  void [cfg.modelBucket, cfg.model];
  getModel().catch(() => undefined);
}
