/**
 * The optimized model (npm run model:optimize: MatMulNBits 8-bit) against
 * the q8 layout Muse publishes, side by side in one run on each shape:
 * decode tok/s through Muse's loader and loop at 1, 2 and 4 intra-op
 * threads, a bare onnxruntime loop on the optimized file, the share of the
 * memory-bandwidth ceiling (bytes the graph reads per token ÷ this
 * machine's read bandwidth, probed among the decode runs), best-of-8 against one generation,
 * cold start against GetObject + session create, and peak RSS.
 */
import { createHash } from 'node:crypto';
import {
  access,
  copyFile,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { createS3Client } from '#lib/aws/clients.ts';
import { type LoadedModel, loadModel } from '#lib/model/loadModel.ts';
import { presentOnDemand } from '#lib/model/ortGpt2.ts';
import { sessionOptions } from '#lib/model/sessionOptions.ts';
import { startS3rver } from '#local/emulators.ts';
import { buildModel } from '#tools/model/builder/buildModel.ts';
import type { ShapeName } from '#tools/model/builder/gpt2.ts';
import type { AttentionKernel } from '#tools/model/optimize/attention.ts';
import { DEFAULT_BOUNDS, type Fidelity, meetsBounds } from '#tools/model/optimize/fidelity.ts';
import { optimizeModelDir } from '#tools/model/optimize/optimize.ts';
import { publishModel } from '#tools/model/publish.ts';
import { bareGreedy } from './bareLoop.ts';
import { median, repeat, runBundledChild, table } from './lib.ts';
import { BUCKET, benchModelDir } from './model.ts';

const { onnx } = onnxProto;
const NEW_TOKENS = 64;
const GREEDY = { n: 1, temperature: 0, topK: 0, topP: 1, seed: 1 } as const;
const REPS = 6;
const THREADS = [1, 2, 4] as const;
const PROMPT = 'Subject: Your spring trail gear is here. Hi Sam, the new Trail Runner 2 is';

/**
 * The source layouts compared: what Muse publishes, transformers.js v3's
 * (fp32 head and embeddings), and the legacy merged decoder (one `If` on
 * `use_cache_branch`).
 */
const LAYOUTS = ['muse', 'v3', 'merged'] as const;

/**
 * A bench model in `layout` (built once, cached under .data/bench-models).
 * The merged build's quantized file is also copied to
 * `onnx/model_quantized.onnx`, the name Muse publishes and serves, so the
 * bench can time it as it is as well as optimized.
 */
async function layoutDir(shape: ShapeName, layout: (typeof LAYOUTS)[number]): Promise<string> {
  if (layout === 'muse') return benchModelDir(shape);
  const dir = join('.data', 'bench-models', `${shape}-${layout}`);
  try {
    await access(join(dir, 'onnx', 'model_quantized.onnx'));
  } catch {
    console.error(`building ${shape} in the ${layout} layout (random weights) …`);
    if (layout === 'v3') await buildModel({ shape, outDir: dir, layout: 'v3' });
    else {
      await buildModel({ shape, outDir: dir, merged: true });
      await copyFile(
        join(dir, 'onnx', 'decoder_model_merged_quantized.onnx'),
        join(dir, 'onnx', 'model_quantized.onnx'),
      );
    }
  }
  return dir;
}

/** A digest of the optimizer's sources: a cached output made by other code is made again. */
async function optimizerDigest(): Promise<string> {
  const dir = join('tools', 'model', 'optimize');
  const hash = createHash('sha256');
  for (const f of (await readdir(dir)).sort()) hash.update(f).update(await readFile(join(dir, f)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * What model:optimize makes of a source (cached while the optimizer's code
 * is unchanged). 4-bit is measured even when the gate refuses it;
 * `fuse: false` gives the before of the contrib-op fusions.
 */
export async function optimizedDir(
  source: string,
  bits: 4 | 8,
  { fuse = true, attention = 'mha' }: { fuse?: boolean; attention?: AttentionKernel } = {},
): Promise<{ dir: string; passed: boolean; fidelity: Fidelity }> {
  const dir = `${source}-nbits${bits}-128${fuse ? (attention === 'split' ? '-split' : '') : '-unfused'}`;
  const record = join(dir, 'bench-fidelity.json');
  const digest = await optimizerDigest();
  const saved = await readFile(record, 'utf8').then(
    (t) => JSON.parse(t) as { passed: boolean; fidelity: Fidelity; optimizer?: string },
    () => undefined,
  );
  if (saved?.optimizer === digest) return { dir, passed: saved.passed, fidelity: saved.fidelity };
  console.error(
    `optimizing ${source} (${bits}-bit MatMulNBits, block 128${fuse ? `, ${attention} attention` : ', unfused'}) …`,
  );
  // Written whatever the gate says (bounds off), so a refused 4-bit model's speed is still shown.
  const r = await optimizeModelDir({
    inDir: source,
    outDir: dir,
    bits,
    blockSize: 128,
    fuse,
    attention,
    bounds: { maxMeanKl: 1e9, minTop1: 0 },
  });
  const passed = meetsBounds(r.fidelity, DEFAULT_BOUNDS[bits]);
  await writeFile(record, JSON.stringify({ passed, fidelity: r.fidelity, optimizer: digest }));
  return { dir, passed, fidelity: r.fidelity };
}

/**
 * Bytes one decode step reads from the weights: every initializer, except
 * that a table only lookups (Gather, GatherBlockQuantized) read is read one
 * row per token (a table the LM head also reads, as v3's tied head does, or
 * the head's blocks the optimized lookup shares, is read whole).
 */
async function bytesPerToken(file: string): Promise<number> {
  const model = onnx.ModelProto.decode(await readFile(file));
  const graph = model.graph as onnxProto.onnx.IGraphProto;
  const readers = new Map<string, string[]>();
  // Subgraphs too: a merged decoder's branches read the top-level weights.
  const visit = (nodes: onnxProto.onnx.INodeProto[]) => {
    for (const n of nodes) {
      for (const i of n.input ?? []) readers.set(i, [...(readers.get(i) ?? []), n.opType ?? '']);
      for (const a of n.attribute ?? []) if (a.g) visit(a.g.node ?? []);
    }
  };
  visit(graph.node ?? []);
  const lookups = new Set(['Gather', 'GatherBlockQuantized']);
  const gathered = new Set(
    [...readers].filter(([, ops]) => ops.every((op) => lookups.has(op))).map(([name]) => name),
  );
  let bytes = 0;
  for (const t of graph.initializer ?? []) {
    const size = t.rawData?.length ?? 0;
    const dims = (t.dims ?? []).map(Number);
    bytes += gathered.has(t.name ?? '') && dims.length >= 2 ? size / (dims[0] as number) : size;
  }
  return bytes;
}

/**
 * This machine's read bandwidth at `threads`: onnxruntime ReduceSum over
 * 512 MB of floats. `measure()` is one timed pass, in GB/s; the bench runs it
 * between the decode runs it is compared with (this shared machine's
 * bandwidth drifts by half between minutes), and `release()` frees the 512 MB.
 */
async function bandwidthProbe(
  threads: number,
): Promise<{ measure(): Promise<number>; release(): Promise<void> }> {
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
  const measure = async () => {
    const t0 = performance.now();
    await session.run({ x });
    return (floats * 4) / ((performance.now() - t0) / 1000) / 1e9;
  };
  await measure();
  return { measure, release: () => session.release() };
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
  stridedCache?: boolean,
): Promise<LoadedModel> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'muse-bench-opt-'));
  return loadModel({
    s3,
    bucket: BUCKET,
    id,
    version,
    cacheDir,
    threads,
    ...(stridedCache === undefined ? {} : { stridedCache }),
  });
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
  const headlines: string[] = [];
  try {
    for (const shape of shapes) {
      const museDir = await layoutDir(shape, 'muse');
      const v3Dir = await layoutDir(shape, 'v3');
      const mergedDir = await layoutDir(shape, 'merged');
      const opt8 = await optimizedDir(museDir, 8);
      const opt4 = await optimizedDir(museDir, 4);
      const v3opt4 = await optimizedDir(v3Dir, 4);
      const opt8unfused = await optimizedDir(museDir, 8, { fuse: false });
      const opt8split = await optimizedDir(museDir, 8, { attention: 'split' });
      const mergedOpt8 = await optimizedDir(mergedDir, 8);
      const variants: Array<{ name: string; dir: string; gate: string; stridedCache?: boolean }> = [
        { name: 'published q8', dir: museDir, gate: '' },
        { name: 'v3 (fp32 head)', dir: v3Dir, gate: '' },
        { name: 'optimized 8-bit', dir: opt8.dir, gate: opt8.passed ? 'passed' : 'refused' },
        { name: 'optimized 4-bit', dir: opt4.dir, gate: opt4.passed ? 'passed' : 'refused' },
        { name: 'v3 → 4-bit', dir: v3opt4.dir, gate: v3opt4.passed ? 'passed' : 'refused' },
        {
          name: 'optimized 8-bit, unfused',
          dir: opt8unfused.dir,
          gate: opt8unfused.passed ? 'passed' : 'refused',
        },
        // The same file as 'optimized 8-bit', decoded carrying present.* back (the loop before new.{i}.*).
        {
          name: 'optimized 8-bit, carried cache',
          dir: opt8.dir,
          gate: opt8.passed ? 'passed' : 'refused',
          stridedCache: false,
        },
        // The split attention kernel, which builds present.* only on demand (--attention split).
        {
          name: 'optimized 8-bit, split attention',
          dir: opt8split.dir,
          gate: opt8split.passed ? 'passed' : 'refused',
        },
        // The legacy merged decoder, served as it is (use_cache_branch) and optimized (its with-past branch lifted).
        { name: 'legacy merged q8', dir: mergedDir, gate: '' },
        {
          name: 'merged → 8-bit',
          dir: mergedOpt8.dir,
          gate: mergedOpt8.passed ? 'passed' : 'refused',
        },
      ];
      const published = [];
      for (const [i, v] of variants.entries())
        published.push(await publishAs(s3, v.dir, `bench/${shape}-${i}`));
      const perToken = await Promise.all(
        variants.map((v) => bytesPerToken(join(v.dir, 'onnx', 'model_quantized.onnx'))),
      );
      // What a cold start downloads and a process holds: the weights file.
      const fileBytes = await Promise.all(
        variants.map(async (v) => (await stat(join(v.dir, 'onnx', 'model_quantized.onnx'))).size),
      );
      const config = JSON.parse(await readFile(join(museDir, 'config.json'), 'utf8')) as Record<
        string,
        number
      >;
      const dims = {
        nLayer: config.n_layer as number,
        nHead: config.n_head as number,
        headDim: (config.n_embd as number) / (config.n_head as number),
        vocab: config.vocab_size as number,
        // The bare loop asks the optimized graph for present.* on demand where Muse's does.
        presentOnDemand: presentOnDemand(
          JSON.parse(await readFile(join(opt8.dir, 'config.json'), 'utf8')) as Record<
            string,
            unknown
          >,
        ),
      };
      const at2: number[] = [];
      for (const threads of THREADS) {
        const loaded = [];
        for (const [i, p] of published.entries())
          loaded.push(await load(s3, p.id, p.version, threads, variants[i]?.stridedCache));
        const bare = await ort.InferenceSession.create(
          join(opt8.dir, 'onnx', 'model_quantized.onnx'),
          sessionOptions(threads),
        );
        const prompt = (loaded[0] as LoadedModel).model.encode(PROMPT);
        // Two bare loops: carrying present.* back, and fetching only logits and new.{i}.* (as Muse does).
        const bareRun = async (strided: boolean) => {
          const t0 = performance.now();
          const n = await bareGreedy(bare, prompt, NEW_TOKENS, dims, { strided });
          return n / ((performance.now() - t0) / 1000);
        };
        const runs = variants.map(() => [] as number[]);
        const bareRuns = { carried: [] as number[], strided: [] as number[] };
        const probe = await bandwidthProbe(threads);
        const probeRuns: number[] = [];
        for (const l of loaded) await tokPerSec(l.model, prompt);
        await bareRun(false);
        await bareRun(true);
        // Interleaved, rotating which goes first.
        const jobs = [
          ...loaded.map(
            (l, i) => async () => (runs[i] as number[]).push(await tokPerSec(l.model, prompt)),
          ),
          async () => bareRuns.carried.push(await bareRun(false)),
          async () => bareRuns.strided.push(await bareRun(true)),
          // The bandwidth the decode runs are held against, measured among them.
          async () => probeRuns.push(await probe.measure()),
        ];
        for (let rep = 0; rep < REPS; rep++) {
          for (let j = 0; j < jobs.length; j++)
            await (jobs[(j + rep) % jobs.length] as () => Promise<number>)();
        }
        await probe.release();
        bandwidth[threads] = median(probeRuns);
        const tok = runs.map(median);
        if (threads === 2) at2.push(...tok);
        for (const [i, v] of variants.entries()) {
          const ceiling = ((bandwidth[threads] as number) * 1e9) / (perToken[i] as number);
          rows.push({
            shape,
            threads,
            model: v.name,
            gate: v.gate,
            'file MB': (fileBytes[i] as number) / 1e6,
            'MB/token': (perToken[i] as number) / 1e6,
            'tok/s': tok[i] as number,
            '× published q8': (tok[i] as number) / (tok[0] as number),
            '× v3': (tok[i] as number) / (tok[1] as number),
            'bandwidth use %': (100 * (tok[i] as number)) / ceiling,
          });
        }
        for (const [cache, label, museIndex] of [
          ['carried', 'bare ORT loop, optimized 8-bit, carried cache', 6],
          ['strided', 'bare ORT loop, optimized 8-bit, strided cache', 2],
        ] as const) {
          const bareTok = median(bareRuns[cache]);
          rows.push({
            shape,
            threads,
            model: label,
            gate: `muse/bare ${((tok[museIndex] as number) / bareTok).toFixed(2)}`,
            'file MB': (fileBytes[2] as number) / 1e6,
            'MB/token': (perToken[2] as number) / 1e6,
            'tok/s': bareTok,
            '× published q8': bareTok / (tok[0] as number),
            '× v3': bareTok / (tok[1] as number),
            'bandwidth use %':
              (100 * bareTok) / (((bandwidth[threads] as number) * 1e9) / (perToken[2] as number)),
          });
        }
        if (threads === 2) {
          // Best-of-8 against one generation of the same length, on the optimized 8-bit model,
          // with Muse's strided cache and carrying present.* (interleaved).
          const times = {
            strided: { one: [] as number[], eight: [] as number[] },
            carried: { one: [] as number[], eight: [] as number[] },
            split: { one: [] as number[], eight: [] as number[] },
          };
          const models = {
            strided: (loaded[2] as LoadedModel).model,
            carried: (loaded[6] as LoadedModel).model,
            split: (loaded[7] as LoadedModel).model,
          };
          for (let rep = 0; rep < 6; rep++) {
            for (const cache of ['strided', 'carried', 'split'] as const) {
              const m = models[cache];
              let t0 = performance.now();
              await m.generate(prompt, { ...GREEDY, maxNewTokens: NEW_TOKENS });
              const one = performance.now() - t0;
              t0 = performance.now();
              await m.generate(prompt, {
                n: 8,
                temperature: 0.9,
                topK: 50,
                topP: 0.95,
                seed: 1,
                maxNewTokens: NEW_TOKENS,
              });
              // The first round warms up both.
              if (rep > 0) {
                times[cache].one.push(one);
                times[cache].eight.push(performance.now() - t0);
              }
            }
          }
          const ratio = (cache: keyof typeof times) =>
            median(times[cache].eight) / median(times[cache].one);
          summary.push({
            shape,
            'best-of-8 / one generation (8-bit)': ratio('strided'),
            'best-of-8 ms': median(times.strided.eight),
            'same, carried cache': ratio('carried'),
            'best-of-8 ms, carried': median(times.carried.eight),
            'same, split attention': ratio('split'),
            'best-of-8 ms, split attention': median(times.split.eight),
          });
          headlines.push(
            `best-of-8 (optimized 8-bit, ${shape}, 2 threads): ${ratio('strided').toFixed(2)}× one generation of the same length (carrying present.*: ${ratio('carried').toFixed(2)}×; split attention: ${ratio('split').toFixed(2)}×)`,
            `split attention (optimized 8-bit, ${shape}, 2 threads): best-of-8 at ${(median(times.strided.eight) / median(times.split.eight)).toFixed(2)}× the speed of MultiHeadAttention; one generation ${(median(times.strided.one) / median(times.split.one)).toFixed(2)}×`,
          );
        }
        for (const l of loaded) await l.model.dispose();
        await bare.release();
      }
      // Cold start: empty cache → first token, against GetObject + session create (optimized 8-bit).
      const opt = published[2] as { id: string; version: string };
      const coldOpt = median(
        await repeat(3, 0, async () => {
          const t0 = performance.now();
          const l = await load(s3, opt.id, opt.version, 2);
          await l.model.generate(l.model.encode(PROMPT), { ...GREEDY, maxNewTokens: 1 });
          const ms = performance.now() - t0;
          await l.model.dispose();
          return ms;
        }),
      );
      const plainOpt = median(
        await repeat(3, 0, async () => {
          const t0 = performance.now();
          const got = await s3.send(
            new GetObjectCommand({
              Bucket: BUCKET,
              Key: `models/${opt.id}/${opt.version}/onnx/model_quantized.onnx`,
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
      const rss = await runBundledChild('bench/rss.ts', [
        s3server.endpoint,
        BUCKET,
        opt.id,
        opt.version,
      ]);
      const peak = Number(/^PEAK_RSS_MB=(\d+)/m.exec(rss.stdout)?.[1]);
      Object.assign(summary.at(-1) as Record<string, string | number>, {
        'cold→1st token ms': coldOpt,
        'GetObject+session ms': plainOpt,
        'cold ratio': coldOpt / plainOpt,
        'peak RSS MB (8-bit, n=8)': peak,
        'fidelity 8-bit': `KL ${opt8.fidelity.meanKl.toFixed(5)}, top-1 ${(opt8.fidelity.top1Decisive * 100).toFixed(1)} %`,
        'fidelity 4-bit': `KL ${opt4.fidelity.meanKl.toFixed(5)}, top-1 ${(opt4.fidelity.top1Decisive * 100).toFixed(1)} %`,
      });
      const ceiling8 = ((bandwidth[2] as number) * 1e9) / (perToken[2] as number);
      headlines.push(
        `decode speedup (optimized/published q8, ${shape}): ${((at2[2] as number) / (at2[0] as number)).toFixed(2)}× (8-bit, gate ${opt8.passed ? 'passed' : 'refused'}); ${((at2[3] as number) / (at2[0] as number)).toFixed(2)}× (4-bit, gate ${opt4.passed ? 'passed' : 'refused on these random weights'})`,
        `decode speedup (optimized/v3 fp32 head, ${shape}): ${((at2[2] as number) / (at2[1] as number)).toFixed(2)}× (8-bit); ${((at2[4] as number) / (at2[1] as number)).toFixed(2)}× (4-bit from v3)`,
        `bandwidth use (optimized, ${shape}): ${Math.round((100 * (at2[2] as number)) / ceiling8)} % (of ${(bandwidth[2] as number).toFixed(1)} GB/s read by the probe among the 2-thread runs; ${((perToken[2] as number) / 1e6).toFixed(1)} MB a token)`,
        `contrib-op fusion (optimized 8-bit, ${shape}, 2 threads): ${((at2[2] as number) / (at2[5] as number)).toFixed(2)}× the same model unfused`,
        `strided cache (optimized 8-bit, ${shape}, 2 threads): ${((at2[2] as number) / (at2[6] as number)).toFixed(2)}× carrying present.* back`,
        `split attention (optimized 8-bit, ${shape}, 2 threads): ${((at2[7] as number) / (at2[2] as number)).toFixed(2)}× MultiHeadAttention (greedy tok/s)`,
        `merged decoder (${shape}, 2 threads): optimized 8-bit ${((at2[9] as number) / (at2[8] as number)).toFixed(2)}× the legacy merged q8 served as it is; ${((at2[9] as number) / (at2[2] as number)).toFixed(2)}× the optimized 8-bit from Muse's q8`,
      );
    }
  } finally {
    s3.destroy();
    await s3server.stop();
    await rm(s3dir, { recursive: true, force: true });
  }
  console.log(
    '\nmodel:optimize (MatMulNBits, block 128, accuracy_level 4) vs the layouts it rewrites, greedy 64 tokens, medians:',
  );
  console.log(table(rows));
  console.log(table(summary));
  for (const line of headlines) console.log(line);
  return { rows, summary, bandwidthGBps: bandwidth, headlines };
}
