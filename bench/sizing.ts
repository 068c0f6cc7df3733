/**
 * Lambda sizing for the model functions: generated tokens per second
 * through Muse's loader and loop at 1 and 2 intra-op threads, for one
 * greedy sequence and for a best-of-8 batch (what a copy request decodes),
 * on the published q8 layout and its `model:optimize` 8-bit rewrite, on
 * each shape. Lambda allocates CPU in proportion to memory, one full vCPU
 * at 1,769 MB ({@link MB_PER_VCPU}), so a thread count stands for the
 * memory size that buys that many vCPUs, and a generated token costs
 * (GB × seconds per token) GB-seconds there. Both thread counts run
 * interleaved in one process, so drift hits them alike; only the ratios
 * carry over to Lambda, whose cores are not this machine's.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client } from '#lib/aws/clients.ts';
import { COPY_LIMITS } from '#lib/copy/request.ts';
import { MB_PER_VCPU } from '#lib/envNames.ts';
import { type LoadedModel, loadModel } from '#lib/model/loadModel.ts';
import { startS3rver } from '#local/emulators.ts';
import type { ShapeName } from '#tools/model/builder/gpt2.ts';
import { median, table } from './lib.ts';
import { BUCKET, benchModelDir, publishTo } from './model.ts';
import { optimizedDir } from './optimize.ts';

const NEW_TOKENS = 64;
const REPS = 5;
const THREADS = [1, 2] as const;
const PROMPT = 'Subject: Your spring trail gear is here. Hi Sam, the new Trail Runner 2 is';
/** One sequence, greedy; and eight sampled ones, as a copy request's candidates. */
const WORKLOADS = {
  'n=1': { n: 1, temperature: 0, topK: 0, topP: 1, seed: 1 },
  'n=8': { n: 8, temperature: 0.9, topK: 50, topP: 0.95, seed: 1 },
} as const;

/** The largest copy request the token budget admits (`COPY_LIMITS.tokenBudget` at the longest length). */
const LARGEST = {
  n: COPY_LIMITS.tokenBudget / COPY_LIMITS.maxNewTokens,
  maxNewTokens: COPY_LIMITS.maxNewTokens,
} as const;

/** Generated tokens per second of one `generate` call (every row's tokens counted). */
async function tokensPerSecond(model: LoadedModel['model'], workload: keyof typeof WORKLOADS) {
  const prompt = model.encode(PROMPT);
  const t0 = performance.now();
  const out = await model.generate(prompt, { ...WORKLOADS[workload], maxNewTokens: NEW_TOKENS });
  const tokens = out.sequences.reduce((sum, s) => sum + s.tokens.length, 0);
  return tokens / ((performance.now() - t0) / 1000);
}

/** Runs the sizing comparison; prints its table and the cheapest size per shape and workload. */
export async function runSizingBench(shapes: ShapeName[]): Promise<Record<string, unknown>> {
  const s3server = await startS3rver(await mkdtemp(join(tmpdir(), 'muse-bench-sizing-')));
  const s3 = createS3Client({
    region: 'us-east-1',
    local: { s3Endpoint: s3server.endpoint, dynamoEndpoint: s3server.endpoint },
  });
  const rows: Array<Record<string, string | number>> = [];
  const cheapest: string[] = [];
  const largest: Array<Record<string, string | number>> = [];
  try {
    for (const shape of shapes) {
      const source = await benchModelDir(shape);
      const files = [
        { name: 'published q8', slug: 'q8', dir: source },
        { name: 'optimized 8-bit', slug: 'nbits8', dir: (await optimizedDir(source, 8)).dir },
      ];
      for (const file of files) {
        const published = await publishTo(s3, file.dir, `sizing-${shape}-${file.slug}`);
        const loaded = new Map<number, LoadedModel>();
        for (const threads of THREADS) {
          const cacheDir = await mkdtemp(join(tmpdir(), 'muse-bench-sizing-cache-'));
          loaded.set(
            threads,
            await loadModel({
              s3,
              bucket: BUCKET,
              id: published.id,
              version: published.version,
              cacheDir,
              threads,
            }),
          );
        }
        const rates = new Map<string, number[]>();
        for (let rep = 0; rep <= REPS; rep++) {
          for (const workload of Object.keys(WORKLOADS) as (keyof typeof WORKLOADS)[]) {
            for (const threads of THREADS) {
              const rate = await tokensPerSecond(
                (loaded.get(threads) as LoadedModel).model,
                workload,
              );
              // Rep 0 warms each model up.
              if (rep > 0)
                rates.set(`${workload}@${threads}`, [
                  ...(rates.get(`${workload}@${threads}`) ?? []),
                  rate,
                ]);
            }
          }
        }
        if (file.slug === 'q8') {
          // The largest request the copy token budget admits, once per thread count: what the
          // generate timeout is derived from (FUNCTION_TIMEOUT_SECONDS.generate).
          for (const threads of THREADS) {
            const model = (loaded.get(threads) as LoadedModel).model;
            const t0 = performance.now();
            await model.generate(model.encode(PROMPT), { ...WORKLOADS['n=8'], ...LARGEST });
            largest.push({
              shape,
              threads,
              request: `n=${LARGEST.n} × ${LARGEST.maxNewTokens}`,
              seconds: (performance.now() - t0) / 1000,
            });
          }
        }
        for (const model of loaded.values()) await model.model.dispose();
        for (const workload of Object.keys(WORKLOADS)) {
          const costs = THREADS.map((threads) => {
            const rate = median(rates.get(`${workload}@${threads}`) ?? []);
            const gb = (threads * MB_PER_VCPU) / 1024;
            return { threads, rate, gb, gbSecondsPer1k: (1000 * gb) / rate };
          });
          for (const c of costs) {
            rows.push({
              shape,
              model: file.name,
              workload,
              threads: c.threads,
              'Lambda MB (vCPUs)': `${c.threads * MB_PER_VCPU} (${c.threads})`,
              'tok/s': c.rate,
              'ms/token': 1000 / c.rate,
              'GB-s per 1k tokens': c.gbSecondsPer1k,
            });
          }
          const [one, two] = costs as [(typeof costs)[0], (typeof costs)[0]];
          const best = one.gbSecondsPer1k <= two.gbSecondsPer1k ? one : two;
          cheapest.push(
            `cheapest per token (${shape}, ${file.name}, ${workload}): ${best.threads * MB_PER_VCPU} MB, ${best.threads} thread(s); 2 threads are ${(two.rate / one.rate).toFixed(2)}× as fast for ${(two.gb / one.gb).toFixed(0)}× the memory (cost ${(two.gbSecondsPer1k / one.gbSecondsPer1k).toFixed(2)}×)`,
          );
        }
      }
    }
  } finally {
    s3.destroy();
    await s3server.stop();
  }
  console.log(
    `\nModel functions' Lambda size (${NEW_TOKENS} new tokens, medians of ${REPS}, interleaved; 1 vCPU per ${MB_PER_VCPU} MB)\n${table(rows)}`,
  );
  for (const line of cheapest) console.log(line);
  console.log(`\nThe largest request, published q8, one run each\n${table(largest)}`);
  return { rows, cheapest, largest };
}
