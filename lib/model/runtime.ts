import { s3Client } from '../aws/clients.ts';
import { keyedCache } from '../cache.ts';
import { config } from '../config.ts';
import { ENV } from '../envNames.ts';
import { ModelNotPublishedError, ValidationError } from '../errors.ts';
import { MetricUnit, metrics } from '../metrics.ts';
import type { Language } from './language.ts';
import { type LoadedModel, type LoadOptions, loadModel } from './loadModel.ts';
import type { TextModel } from './textModel.ts';

/** The configured model of a language: `MUSE_MODEL_ID_ZH` for Chinese when set, else `MUSE_MODEL_ID`. */
function optionsFor(language: Language): Pick<LoadOptions, 'id' | 'version'> {
  const cfg = config();
  const chosen = language === 'zh' && cfg.model.zh ? cfg.model.zh : cfg.model;
  if (!chosen.id) {
    throw new ModelNotPublishedError(
      `This function has no model configured: set ${ENV.modelId} (the CDK stack and npm start set it).`,
    );
  }
  return { id: chosen.id, version: chosen.version };
}

/** Loaded models by id and version: each loads once per container, however many languages share it. */
const loaded = keyedCache(async (key: string): Promise<LoadedModel> => {
  const [id, version] = JSON.parse(key) as [string, string];
  const cfg = config();
  const model = await loadModel({
    s3: s3Client(),
    bucket: cfg.modelBucket,
    cacheDir: cfg.model.cacheDir,
    threads: cfg.model.threads,
    id,
    version,
  });
  metrics().addMetric('ModelLoadTime', MetricUnit.Milliseconds, model.loadMs);
  return model;
});

/**
 * The process-wide model of a language (default `en`), loaded once per
 * container from the configured bucket, id and version.
 *
 * @example
 * ```ts
 * const { model } = await getModel('zh');
 * ```
 */
export async function getModel(language: Language = 'en'): Promise<LoadedModel> {
  // Async, so a missing variable rejects (warmModel ignores it; a request maps it to a 503).
  const { id, version } = optionsFor(language);
  return loaded(JSON.stringify([id, version]));
}

/** The process-wide model and how long this request waited for it (its share of a cold start). */
export interface ModelForRequest {
  model: TextModel;
  loadMs: number;
}

/**
 * Refuses a language the model's tokenizer cannot write, naming the model
 * that would and the variable that chooses it.
 */
function assertWrites(model: TextModel, language: Language): void {
  const fit = model.languageFit(language);
  if (fit.fits) return;
  const how =
    fit.unknownTokens > 0
      ? `${fit.unknownTokens} characters of a ${language} probe sentence are unknown to its vocabulary`
      : `it spells ${language} at ${fit.tokensPerChar} tokens per character`;
  const fix =
    language === 'zh'
      ? `publish a Chinese GPT-2 (an ONNX export of uer/gpt2-chinese-cluecorpussmall, or for a demo: npm run model:build -- --shape tiny --tokenizer zh, then npm run model:publish) and set ${ENV.modelIdZh} to its id (npm start does both)`
      : `set ${ENV.modelId} to an English GPT-2 such as Xenova/gpt2`;
  throw new ValidationError(
    `language ${language}: the model ${model.info.id} cannot write it (${how}); ${fix}.`,
    { issues: [{ path: 'language', message: `the model in use does not write ${language}` }] },
  );
}

/**
 * Waits for the model of `language` and measures the wait, the one way
 * every model-backed request gets its model. A language the model's
 * tokenizer cannot write is a 400 that names the fix.
 *
 * @example
 * ```ts
 * const { model, loadMs } = await modelForRequest('zh');
 * ```
 */
export async function modelForRequest(language: Language = 'en'): Promise<ModelForRequest> {
  const waited = performance.now();
  const { model } = await getModel(language);
  assertWrites(model, language);
  return { model, loadMs: performance.now() - waited };
}

/**
 * Starts loading the models at cold start, so the first request waits less.
 * A missing or bad variable throws here (the cold start fails naming it); a
 * failed load is not thrown but surfaces on the requests that need the model.
 */
export function warmModel(): void {
  const cfg = config();
  // Read the sections now: a bad variable fails the cold start, naming it.
  void [cfg.modelBucket, cfg.model];
  getModel('en').catch(() => undefined);
  if (cfg.model.zh) getModel('zh').catch(() => undefined);
}
