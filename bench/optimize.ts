/**
 * The optimized model (npm run model:optimize: MatMulNBits 8-bit) against
 * the q8 layout Muse publishes, side by side in one run on each shape:
 * decode tok/s through Muse's loader and loop at 1, 2 and 4 intra-op
 * threads, a bare onnxruntime loop on the optimized file, the share of the
 * memory-bandwidth ceiling (bytes the graph reads per token ÷ this
 * machine's measured read bandwidth), best-of-8 against one generation,
 * cold start against GetObject + session create, and peak RSS.
 */
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { createS3Client } from '#lib/aws/clients.ts';
import { type LoadedModel, loadModel } from '#lib/model/loadModel.ts';
import { sessionOptions } from '#lib/model/sessionOptions.ts';
import { startS3rver } from '#local/emulators.ts';
import type { ShapeName } from '#tools/model/builder/gpt2.ts';
import { optimizeModelDir } from '#tools/model/optimize/optimize.ts';
import { publishModel } from '#tools/model/publish.ts';
import { bareGreedy } from './bareLoop.ts';
import { median, repeat, runChild, table } from './lib.ts';
import { BUCKET, benchModelDir } from './model.ts';

const { onnx } = onnxProto;
const NEW_TOKENS = 64;
const GREEDY = { n: 1, temperature: 0, topK: 0, topP: 1, seed: 1 } as const;
const REPS = 6;
const THREADS = [1, 2, 4] as const;
const PROMPT = 'Subject: Your spring trail gear is here. Hi Sam, the new Trail Runner 2 is';

/** The 8-bit optimized copy of a bench model (built once, cached next to it). */
async function optimizedDir(shape: ShapeName): Promise<string> {
  const out = join('.data', 'bench-models', `${shape}-nbits8`);
  try {
    await access(join(out, 'onnx', 'model_quantized.onnx'));
  } catch {
    console.error(`optimizing ${shape} (8-bit MatMulNBits) …`);
    const r = await optimizeModelDir({
      inDir: await benchModelDir(shape),
      outDir: out,
      bits: 8,
      blockSize: 32,
    });
    if (!r.passed)
      throw new Error(`the fidelity gate refused ${shape}: ${JSON.stringify(r.fidelity)}`);
  }
  return out;
}

/**
 * Bytes one decode step reads from the weights: every initializer, except
 * that an embedding table behind a Gather is read one row per token.
 */
async function bytesPerToken(file: string): Promise<number> {
  const model = onnx.ModelProto.decode(await readFile(file));
  const graph = model.graph as onnxProto.onnx.IGraphProto;
  const gathered = new Set(
    (graph.node ?? []).filter((n) => n.opType === 'Gather').map((n) => (n.input ?? [])[0]),
  );
  let bytes = 0;
  for (const t of graph.initializer ?? []) {
    const size = t.rawData?.length ?? 0;
    const dims = (t.dims ?? []).map(Number);
    bytes += gathered.has(t.name ?? '') && dims.length === 2 ? size / (dims[0] as number) : size;
  }
  return bytes;
}

/** This machine's read bandwidth at `threads`: onnxruntime ReduceSum over 512 MB of floats. */
async function readBandwidthGBps(threads: number): Promise<number> {
  const floats = 128 * 1024 * 1024;
  const graph = {
    name: 'probe',
    node: [
      {
        opType: 'ReduceSum',
        input: ['x'],
        output: ['y'],
        attribute: [{ name: 'keepdims', type: 2, i: 0 }],
      },
    ],
    input: [
      { name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: floats }] } } } },
    ],
    output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [] } } } }],
  };
  const bytes = onnx.ModelProto.encode(
    onnx.ModelProto.create({ irVersion: 9, opsetImport: [{ domain: '', version: 13 }], graph }),
  ).finish();
  const session = await ort.InferenceSession.create(bytes, sessionOptions(threads));
  const x = new ort.Tensor('float32', new Float32Array(floats).fill(1), [floats]);
  const runs = await repeat(5, 1, async () => {
    const t0 = performance.now();
    await session.run({ x });
    return (floats * 4) / ((performance.now() - t0) / 1000) / 1e9;
  });
  await session.release();
  return median(runs);
}

async function publishAs(s3: S3Client, dir: string, id: string) {
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET })).catch(() => undefined);
  return publishModel({ s3, bucket: BUCKET, dir, id, source: `bench:${id}`, randomWeights: true });
}

async function load(
  s3: S3Client,
  id: string,
  version: string,
  threads: number,
): Promise<LoadedModel> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'muse-bench-opt-'));
  return loadModel({ s3, bucket: BUCKET, id, version, cacheDir, threads });
}

const tokPerSec = async (model: LoadedModel['model'], prompt: number[]) => {
  const t0 = performance.now();
  const out = await model.generate(prompt, { ...GREEDY, maxNewTokens: NEW_TOKENS });
  return (out.sequences[0]?.tokens.length ?? 0) / ((performance.now() - t0) / 1000);
};

/** Runs the optimized-model comparison; prints its tables and the two headline lines. */
export async function runOptimizedBench(shapes: ShapeName[]): Promise<Record<string, unknown>> {
  const s3dir = await mkdtemp(join(tmpdir(), 'muse-bench-s3-'));
  const s3server = await startS3rver(s3dir);
  const s3 = createS3Client({
    region: 'us-east-1',
    local: { s3Endpoint: s3server.endpoint, dynamoEndpoint: s3server.endpoint },
  });
  const rows: Array<Record<string, string | number>> = [];
  const summary: Array<Record<string, string | number>> = [];
  const bandwidth: Record<number, number> = {};
  for (const t of THREADS) bandwidth[t] = await readBandwidthGBps(t);
  const headlines: string[] = [];
  try {
    for (const shape of shapes) {
      const q8Dir = await benchModelDir(shape);
      const optDir = await optimizedDir(shape);
      const q8 = await publishAs(s3, q8Dir, `bench/${shape}-q8`);
      const opt = await publishAs(s3, optDir, `bench/${shape}-nbits8`);
      const perToken = {
        q8: await bytesPerToken(join(q8Dir, 'onnx', 'model_quantized.onnx')),
        opt: await bytesPerToken(join(optDir, 'onnx', 'model_quantized.onnx')),
      };
      const config = JSON.parse(await readFile(join(q8Dir, 'config.json'), 'utf8')) as Record<
        string,
        number
      >;
      const dims = {
        nLayer: config.n_layer as number,
        nHead: config.n_head as number,
        headDim: (config.n_embd as number) / (config.n_head as number),
        vocab: config.vocab_size as number,
      };
      const speeds: Record<number, { q8: number; opt: number; bare: number }> = {};
      for (const threads of THREADS) {
        const a = await load(s3, q8.id, q8.version, threads);
        const b = await load(s3, opt.id, opt.version, threads);
        const bare = await ort.InferenceSession.create(
          join(optDir, 'onnx', 'model_quantized.onnx'),
          sessionOptions(threads),
        );
        const prompt = a.model.encode(PROMPT);
        const runs = { q8: [] as number[], opt: [] as number[], bare: [] as number[] };
        const bareRun = async () => {
          const t0 = performance.now();
          const n = await bareGreedy(bare, prompt, NEW_TOKENS, dims);
          return n / ((performance.now() - t0) / 1000);
        };
        await tokPerSec(a.model, prompt);
        await tokPerSec(b.model, prompt);
        await bareRun();
        // Interleaved, rotating which goes first.
        for (let rep = 0; rep < REPS; rep++) {
          const order = [
            async () => runs.q8.push(await tokPerSec(a.model, prompt)),
            async () => runs.opt.push(await tokPerSec(b.model, prompt)),
            async () => runs.bare.push(await bareRun()),
          ];
          for (let i = 0; i < order.length; i++)
            await (order[(i + rep) % order.length] as () => Promise<number>)();
        }
        speeds[threads] = { q8: median(runs.q8), opt: median(runs.opt), bare: median(runs.bare) };
        const ceiling = ((bandwidth[threads] as number) * 1e9) / perToken.opt;
        rows.push({
          shape,
          threads,
          'published q8 tok/s': speeds[threads].q8,
          'optimized tok/s': speeds[threads].opt,
          'opt/q8': speeds[threads].opt / speeds[threads].q8,
          'bare ORT opt tok/s': speeds[threads].bare,
          'muse/bare': speeds[threads].opt / speeds[threads].bare,
          'read GB/s': bandwidth[threads] as number,
          'ceiling tok/s': ceiling,
          'bandwidth use %': (100 * speeds[threads].opt) / ceiling,
        });
        if (threads === 2) {
          // Best-of-8 against one generation of the same length, on the optimized model.
          const one = await repeat(3, 1, async () => {
            const t0 = performance.now();
            await b.model.generate(prompt, { ...GREEDY, maxNewTokens: NEW_TOKENS });
            return performance.now() - t0;
          });
          const eight = await repeat(3, 1, async () => {
            const t0 = performance.now();
            await b.model.generate(prompt, {
              n: 8,
              temperature: 0.9,
              topK: 50,
              topP: 0.95,
              seed: 1,
              maxNewTokens: NEW_TOKENS,
            });
            return performance.now() - t0;
          });
          summary.push({ shape, 'best-of-8 / one generation': median(eight) / median(one) });
        }
        await Promise.all([a.model.dispose(), b.model.dispose(), bare.release()]);
      }
      // Cold start: empty cache → first token, against GetObject + session create, for both files.
      const cold = async (m: { id: string; version: string }) =>
        median(
          await repeat(3, 0, async () => {
            const t0 = performance.now();
            const l = await load(s3, m.id, m.version, 2);
            await l.model.generate(l.model.encode(PROMPT), { ...GREEDY, maxNewTokens: 1 });
            const ms = performance.now() - t0;
            await l.model.dispose();
            return ms;
          }),
        );
      const plain = async (m: { id: string; version: string }) =>
        median(
          await repeat(3, 0, async () => {
            const t0 = performance.now();
            const got = await s3.send(
              new GetObjectCommand({
                Bucket: BUCKET,
                Key: `models/${m.id}/${m.version}/onnx/model_quantized.onnx`,
              }),
            );
            const file = join(tmpdir(), `muse-bench-plain-${shape}.onnx`);
            await writeFile(file, (await got.Body?.transformToByteArray()) ?? new Uint8Array());
            const session = await ort.InferenceSession.create(file, sessionOptions(2));
            const ms = performance.now() - t0;
            await session.release();
            await rm(file, { force: true });
            return ms;
          }),
        );
      const coldOpt = await cold(opt);
      const plainOpt = await plain(opt);
      const rss = await runChild([
        '--import',
        'tsx',
        'bench/rss.ts',
        s3server.endpoint,
        BUCKET,
        opt.id,
        opt.version,
      ]);
      const peak = Number(/^PEAK_RSS_MB=(\d+)/m.exec(rss.stdout)?.[1]);
      const last = summary.at(-1) as Record<string, string | number>;
      Object.assign(last, {
        'q8 MB/token': perToken.q8 / 1e6,
        'optimized MB/token': perToken.opt / 1e6,
        'cold→1st token ms': coldOpt,
        'GetObject+session ms': plainOpt,
        'cold ratio': coldOpt / plainOpt,
        'peak RSS MB (n=8)': peak,
      });
      const at2 = speeds[2] as { q8: number; opt: number };
      headlines.push(
        `decode speedup (optimized/published q8, ${shape}): ${(at2.opt / at2.q8).toFixed(2)}×`,
        `bandwidth use (optimized, ${shape}): ${Math.round(
          (100 * at2.opt) / (((bandwidth[2] as number) * 1e9) / perToken.opt),
        )} %`,
      );
    }
  } finally {
    s3.destroy();
    await s3server.stop();
    await rm(s3dir, { recursive: true, force: true });
  }
  console.log(
    '\nOptimized (model:optimize, MatMulNBits 8-bit, block 32) vs the published q8, greedy 64 tokens, medians:',
  );
  console.log(table(rows));
  console.log(table(summary));
  for (const line of headlines) console.log(line);
  return { rows, summary, bandwidthGBps: bandwidth, headlines };
}
