/**
 * Model benchmarks, side by side in one run on the gpt2 and distilgpt2 shapes
 * (random weights: speed does not depend on weight values):
 *  1. tokens/s of Muse's generate loop vs a bare onnxruntime-node greedy loop
 *     on the same model_quantized.onnx vs transformers.js's default pipeline (fp32);
 *  2. cold start to first token vs one plain GetObject + session creation; warm start;
 *  3. peak RSS of the generate path (separate process).
 */
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { env, pipeline } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { createS3Client } from '#lib/aws/clients.ts';
import { sha256File } from '#lib/model/cache.ts';
import { type LoadedModel, loadModel } from '#lib/model/loadModel.ts';
import { sessionOptions } from '#lib/model/sessionOptions.ts';
import { startS3rver } from '#local/emulators.ts';
import { buildModel } from '#tools/model/builder/buildModel.ts';
import type { ShapeName } from '#tools/model/builder/gpt2.ts';
import { publishModel } from '#tools/model/publish.ts';
import { bareGreedy } from './bareLoop.ts';
import { median, repeat, runBundledChild, table } from './lib.ts';
import { runOptimizedBench } from './optimize.ts';

const NEW_TOKENS = 64;
/** Greedy, one sequence: the same work as the bare loop. */
const GREEDY = { n: 1, temperature: 0, topK: 0, topP: 1, seed: 1 } as const;
const REPS = 5;
/** Interleaved muse/bare decode runs per shape. */
const SPEED_REPS = 8;
const PROMPT = 'Subject: Your spring trail gear is here. Hi Sam, the new Trail Runner 2 is';
/** Bucket the benchmarks publish their models to. */
export const BUCKET = 'bench-models';

/** Builds (once, cached under .data/bench-models) a model of `shape`. */
export async function benchModelDir(shape: ShapeName): Promise<string> {
  const dir = join('.data', 'bench-models', shape);
  try {
    await access(join(dir, 'onnx', 'model_quantized.onnx'));
    await access(join(dir, 'onnx', 'model.onnx'));
  } catch {
    console.error(`building ${shape} shape (random weights) …`);
    await buildModel({ shape, outDir: dir });
  }
  return dir;
}

/** Publishes a bench model to the bench bucket. */
export async function publishTo(s3: S3Client, dir: string, shape: string) {
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  return publishModel({
    s3,
    bucket: BUCKET,
    dir,
    id: `bench/${shape}`,
    source: `built:${shape}`,
    randomWeights: true,
  });
}

/**
 * Runs `fn` with the `shape` bench model published to a fresh s3rver and
 * loaded by Muse's loader (as a function would), then removes it all.
 */
export async function withBenchModel<T>(
  shape: ShapeName,
  fn: (loaded: LoadedModel) => Promise<T>,
): Promise<T> {
  const s3dir = await mkdtemp(join(tmpdir(), 'muse-bench-s3-'));
  const s3server = await startS3rver(s3dir);
  const s3 = createS3Client({
    region: 'us-east-1',
    local: { s3Endpoint: s3server.endpoint, dynamoEndpoint: s3server.endpoint },
  });
  const cacheDir = await mkdtemp(join(tmpdir(), 'muse-bench-cache-'));
  try {
    const manifest = await publishTo(s3, await benchModelDir(shape), shape);
    const loaded = await loadModel({
      s3,
      bucket: BUCKET,
      id: manifest.id,
      version: manifest.version,
      cacheDir,
    });
    try {
      return await fn(loaded);
    } finally {
      await loaded.model.dispose();
    }
  } finally {
    s3.destroy();
    await s3server.stop();
    await rm(s3dir, { recursive: true, force: true });
    await rm(cacheDir, { recursive: true, force: true });
  }
}

/** Runs every model benchmark; returns rows for the table and JSON. */
export async function runModelBench(shapes: ShapeName[]): Promise<Record<string, unknown>> {
  const threads = availableParallelism();
  const s3dir = await mkdtemp(join(tmpdir(), 'muse-bench-s3-'));
  const s3server = await startS3rver(s3dir);
  const s3 = createS3Client({
    region: 'us-east-1',
    local: { s3Endpoint: s3server.endpoint, dynamoEndpoint: s3server.endpoint },
  });
  const results: Record<string, unknown> = { threads, newTokens: NEW_TOKENS, reps: REPS };
  const speedRows: Array<Record<string, string | number>> = [];
  const coldRows: Array<Record<string, string | number>> = [];
  let rss: { stdout: string; stderr: string } | undefined;
  try {
    for (const shape of shapes) {
      const dir = await benchModelDir(shape);
      const manifest = await publishTo(s3, dir, shape);

      // Cold start: empty cache, model in local S3 → first token.
      const cold = await repeat(3, 0, async () => {
        const cacheDir = await mkdtemp(join(tmpdir(), 'muse-bench-cache-'));
        const t0 = performance.now();
        const loaded = await loadModel({
          s3,
          bucket: BUCKET,
          id: manifest.id,
          version: manifest.version,
          cacheDir,
        });
        await loaded.model.generate(loaded.model.encode(PROMPT), { ...GREEDY, maxNewTokens: 1 });
        const ms = performance.now() - t0;
        await rm(cacheDir, { recursive: true, force: true });
        return { ms, fetchMs: loaded.fetchMs, model: loaded.model };
      });
      const plain = await repeat(3, 0, async () => {
        const t0 = performance.now();
        const got = await s3.send(
          new GetObjectCommand({
            Bucket: BUCKET,
            Key: `models/${manifest.id}/${manifest.version}/onnx/model_quantized.onnx`,
          }),
        );
        const bytes = await got.Body?.transformToByteArray();
        const file = join(tmpdir(), `muse-bench-plain-${shape}.onnx`);
        await writeFile(file, bytes ?? new Uint8Array());
        const session = await ort.InferenceSession.create(file, sessionOptions(threads));
        const ms = performance.now() - t0;
        await session.release();
        await rm(file, { force: true });
        return ms;
      });
      // Keep the last cold-loaded model for the warm runs; release the others'
      // sessions so they hold no memory or threads during the measurements.
      for (const c of cold.slice(0, -1)) await c.model.dispose();
      const model = (cold.at(-1) as { model: Awaited<ReturnType<typeof loadModel>>['model'] })
        .model;
      const promptTokens = model.encode(PROMPT);
      const firstToken = await repeat(REPS, 1, async () => {
        const t0 = performance.now();
        await model.generate(promptTokens, { ...GREEDY, maxNewTokens: 1 });
        return performance.now() - t0;
      });
      // What reusing a warm /tmp cache now costs: every file hashed before it is trusted.
      const verify = await repeat(3, 1, async () => {
        const t0 = performance.now();
        for (const file of manifest.files) await sha256File(join(dir, file.path));
        return performance.now() - t0;
      });
      const coldMs = median(cold.map((c) => c.ms));
      const plainMs = median(plain);
      coldRows.push({
        shape,
        'muse cold→1st token ms': coldMs,
        'of which S3 fetch ms': median(cold.map((c) => c.fetchMs)),
        'GetObject+session ms': plainMs,
        ratio: coldMs / plainMs,
        'warm 1st token ms': median(firstToken),
        'cache sha256 check ms': median(verify),
        'model MB': Math.round(manifest.files.reduce((n, f) => n + f.bytes, 0) / 1e6),
      });

      // Decode speed, side by side on the same prompt and token count.
      const config = (
        await import(join(process.cwd(), dir, 'config.json'), { with: { type: 'json' } })
      ).default as Record<string, number>;
      const dims = {
        nLayer: config.n_layer as number,
        nHead: config.n_head as number,
        headDim: (config.n_embd as number) / (config.n_head as number),
        vocab: config.vocab_size as number,
      };
      const bareSession = await ort.InferenceSession.create(
        join(dir, 'onnx', 'model_quantized.onnx'),
        sessionOptions(threads),
      );
      const museRun = async () => {
        const t0 = performance.now();
        const out = await model.generate(promptTokens, { ...GREEDY, maxNewTokens: NEW_TOKENS });
        return (out.sequences[0]?.tokens.length ?? 0) / ((performance.now() - t0) / 1000);
      };
      const bareRun = async () => {
        const t0 = performance.now();
        const n = await bareGreedy(bareSession, promptTokens, NEW_TOKENS, dims);
        return n / ((performance.now() - t0) / 1000);
      };
      // Interleaved, alternating which goes first, so both see the same
      // machine conditions (GC, page reclaim after the cold-start phase).
      await museRun();
      await bareRun();
      const muse: number[] = [];
      const bare: number[] = [];
      for (let rep = 0; rep < SPEED_REPS; rep++) {
        if (rep % 2 === 0) {
          muse.push(await museRun());
          bare.push(await bareRun());
        } else {
          bare.push(await bareRun());
          muse.push(await museRun());
        }
      }
      await bareSession.release();
      env.allowRemoteModels = false;
      env.localModelPath = `${join(process.cwd(), '.data', 'bench-models')}/`;
      const generator = await pipeline('text-generation', shape);
      const tjs = await repeat(3, 1, async () => {
        const t0 = performance.now();
        await generator(PROMPT, {
          maxNewTokens: NEW_TOKENS,
          min_new_tokens: NEW_TOKENS,
          do_sample: false,
        });
        return NEW_TOKENS / ((performance.now() - t0) / 1000);
      });
      await generator.dispose();
      await model.dispose();
      speedRows.push({
        shape,
        'muse tok/s': median(muse),
        'bare ORT tok/s': median(bare),
        'muse/bare': median(muse) / median(bare),
        'transformers.js fp32 tok/s': median(tjs),
        'muse/tjs': median(muse) / median(tjs),
      });
    }
    // Peak RSS in a fresh process, as a Lambda container: fetch + load + generate.
    const gpt2 = await publishTo(s3, await benchModelDir('gpt2'), 'gpt2');
    // Async: the child fetches from the s3rver running in this process.
    rss = await runBundledChild('bench/rss.ts', [s3server.endpoint, BUCKET, gpt2.id, gpt2.version]);
  } finally {
    s3.destroy();
    await s3server.stop();
    await rm(s3dir, { recursive: true, force: true });
  }
  const rssMb = Number(/^PEAK_RSS_MB=(\d+)/m.exec(rss?.stdout ?? '')?.[1]);
  const loadedMb = Number(/LOADED_PEAK_RSS_MB=(\d+)/.exec(rss?.stdout ?? '')?.[1]);
  const fetchedMb = Number(/FETCHED_PEAK_RSS_MB=(\d+)/.exec(rss?.stdout ?? '')?.[1]);
  console.log('\nDecode speed (greedy, same prompt, 64 new tokens; medians):');
  console.log(table(speedRows));
  console.log('\nCold start (empty cache, model in local S3) and warm first token (medians):');
  console.log(table(coldRows));
  console.log(
    `\nPeak RSS of the generate path, gpt2 shape, fresh process: ${fetchedMb} MB after fetch, ${loadedMb} MB after load, ${rssMb} MB after 64 tokens × n=8 (target ≤ 800 MB)`,
  );
  if (!rssMb) console.log(rss?.stderr.slice(-2000));
  const optimized = await runOptimizedBench(shapes);
  return {
    ...results,
    optimized,
    speed: speedRows,
    coldStart: coldRows,
    peakRssMb: rssMb,
    fetchedPeakRssMb: fetchedMb,
    loadedPeakRssMb: loadedMb,
  };
}
