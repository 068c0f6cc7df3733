import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import type { InferenceSession } from 'onnxruntime-common';
import { type CachedModel, cacheModel } from './cache.ts';
import { gpt2Dims, logitsAreLogProbs, OrtGpt2Model, presentOnDemand } from './ortGpt2.ts';
import { sessionOptions } from './sessionOptions.ts';
import type { TextModel } from './textModel.ts';
import { adaptTokenizer, type HfTokenizer } from './tokenizerAdapter.ts';

/** A loaded model and what loading it cost. */
export interface LoadedModel {
  model: TextModel;
  cached: CachedModel;
  /** Wall time from start of load to a usable model. */
  loadMs: number;
  /** Part of `loadMs` spent fetching files from S3 (0 on a verified cache hit). */
  fetchMs: number;
}

/** Where to load from. */
export interface LoadOptions {
  s3: S3Client;
  bucket: string;
  id: string;
  version: string;
  cacheDir: string;
  /** Intra-op threads; default: the vCPUs this process can use. */
  threads?: number;
  /** Keep the decode cache in Muse's buffers (default: when the graph allows; see `OrtGpt2Model`). */
  stridedCache?: boolean;
}

/**
 * Fetches a published model into the local cache (verified) and loads it
 * with transformers.js from local files only, quantized (`dtype: 'q8'`).
 *
 * @example
 * ```ts
 * const { model } = await loadModel({ s3, bucket: 'muse-models', id: 'Xenova/gpt2', version: 'current', cacheDir: '/tmp/models' });
 * ```
 */
export async function loadModel(options: LoadOptions): Promise<LoadedModel> {
  const started = performance.now();
  const cached = await cacheModel(options);
  const fetchMs = performance.now() - started;

  // Local files only: never reach for the Hub, never write under node_modules (read-only on Lambda).
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${options.cacheDir}/`;
  env.cacheDir = join(options.cacheDir, '.transformers-cache');
  const path = relative(options.cacheDir, cached.dir);
  const threads = options.threads ?? availableParallelism();
  const [tokenizer, lm, configText] = await Promise.all([
    AutoTokenizer.from_pretrained(path),
    AutoModelForCausalLM.from_pretrained(path, {
      dtype: 'q8',
      session_options: sessionOptions(threads),
    }),
    readFile(join(cached.dir, 'config.json'), 'utf8'),
  ]);
  const config = JSON.parse(configText) as Record<string, number>;
  const normalised = logitsAreLogProbs(config as unknown as Record<string, unknown>);
  const session = (lm as unknown as { sessions: Record<string, InferenceSession> }).sessions.model;
  if (!session) throw new Error(`transformers.js loaded ${path} without a "model" session.`);
  const facts = adaptTokenizer(tokenizer as unknown as HfTokenizer, config);
  const model = new OrtGpt2Model(
    session,
    facts.tokenizer,
    {
      ...gpt2Dims(config),
      eosTokenId: facts.eosTokenId,
      logitsAreLogProbs: normalised,
      presentOnDemand: presentOnDemand(config as unknown as Record<string, unknown>),
    },
    {
      id: cached.manifest.id,
      version: cached.manifest.version,
      // The bytes hashed on this machine, which the manifest's sha256 was checked against.
      sha256: cached.weightsSha256,
      randomWeights: cached.manifest.random_weights,
      source: cached.manifest.source,
    },
    options.stridedCache === undefined ? {} : { stridedCache: options.stridedCache },
  );
  return { model, cached, loadMs: performance.now() - started, fetchMs };
}
