/**
 * Recommendation benchmark on the gpt2 shape (random weights: speed only),
 * side by side in one run:
 *  - `k: 10` for a demo customer, 30 candidates re-ranked by PMI (warm: the
 *    neutral half cached), vs a bare onnxruntime-node run of the same model
 *    calls over the same tokens (context prefill, then one batched forward
 *    of the 30 item texts on the tiled cache): Muse's overhead;
 *  - prefix reuse vs scoring each candidate's full sequence (context + item)
 *    in its own forward: the gain of reusing the context's KV cache.
 */

import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DEFAULT_RECS_WEIGHTS } from '#lib/config.ts';
import { sessionOptions } from '#lib/model/sessionOptions.ts';
import { CatalogIndex } from '#lib/recommend/catalogIndex.ts';
import { lmContext, type RecommendInput, recommendItems } from '#lib/recommend/engine.ts';
import { itemText, ModelPmiScorer } from '#lib/recommend/lm.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';
import { signalsFromEvents } from '#tools/recommend/evaluate.ts';
import { median, table } from './lib.ts';
import { withBenchModel } from './model.ts';

const REPS = 7;
/** The shop the latency is measured on (the evaluation's demo before it grew; kept so runs compare). */
const BENCH_SEED: SeedOptions = {
  customers: 1000,
  days: 30,
  events: 60_000,
  seed: 1,
  end: new Date('2026-11-01T00:00:00Z'),
};

const int64 = (values: number[], dims: number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

/** Feeds of an empty KV cache for batch 1. */
function emptyPast(config: { n_layer: number; n_head: number; n_embd: number }) {
  const feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.n_layer; i++) {
    for (const kind of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        config.n_head,
        0,
        config.n_embd / config.n_head,
      ]);
    }
  }
  return feeds;
}

/** Runs the rows (each a full token sequence) through the session, one forward each. */
async function fullSequences(
  session: ort.InferenceSession,
  rows: number[][],
  config: Parameters<typeof emptyPast>[0],
) {
  for (const row of rows) {
    await session.run({
      input_ids: int64(row, [1, row.length]),
      attention_mask: int64(
        row.map(() => 1),
        [1, row.length],
      ),
      position_ids: int64(
        row.map((_, i) => i),
        [1, row.length],
      ),
      ...emptyPast(config),
    });
  }
}

/** The model calls PMI scoring makes for the contextual half: prefill, tile, one padded batch. */
async function bareReuse(
  session: ort.InferenceSession,
  prompt: number[],
  items: number[][],
  config: Parameters<typeof emptyPast>[0],
) {
  const P = prompt.length;
  const out = await session.run({
    input_ids: int64(prompt, [1, P]),
    attention_mask: int64(
      prompt.map(() => 1),
      [1, P],
    ),
    position_ids: int64(
      prompt.map((_, i) => i),
      [1, P],
    ),
    ...emptyPast(config),
  });
  const n = items.length;
  const width = Math.max(...items.map((t) => t.length)) - 1;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(
      items.flatMap((t) => Array.from({ length: width }, (_, j) => t[j] ?? 50256)),
      [n, width],
    ),
    attention_mask: int64(
      items.flatMap((t) => [
        ...prompt.map(() => 1),
        ...Array.from({ length: width }, (_, j) => (j < t.length - 1 ? 1 : 0)),
      ]),
      [n, P + width],
    ),
    position_ids: int64(
      items.flatMap(() => Array.from({ length: width }, (_, j) => P + j)),
      [n, width],
    ),
  };
  for (let i = 0; i < config.n_layer; i++) {
    for (const kind of ['key', 'value']) {
      const present = out[`present.${i}.${kind}`] as ort.Tensor;
      const data = present.data as Float32Array;
      const tiled = new Float32Array(data.length * n);
      for (let r = 0; r < n; r++) tiled.set(data, r * data.length);
      const [, h, t, d] = present.dims as number[];
      feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', tiled, [
        n,
        h as number,
        t as number,
        d as number,
      ]);
    }
  }
  await session.run(feeds);
}

/** Runs the recommendation benchmark; returns rows for the table and JSON. */
export async function runRecommendBench(): Promise<Record<string, unknown>> {
  return withBenchModel('gpt2', async ({ model, cached }) => {
    const config = JSON.parse(await readFile(join(cached.dir, 'config.json'), 'utf8')) as {
      n_layer: number;
      n_head: number;
      n_embd: number;
    };
    const session = await ort.InferenceSession.create(
      join(cached.dir, 'onnx', 'model_quantized.onnx'),
      sessionOptions(availableParallelism()),
    );
    // Demo data: signals from 30 days of behaviour, one active customer.
    const world = buildWorld(BENCH_SEED);
    const events = [...demoEvents(world, BENCH_SEED)];
    const catalog = new CatalogIndex(world.catalog);
    const signals = signalsFromEvents(events, catalog, '2026-10-31');
    const customer = events.filter((e) => e.customerId === events[0]?.customerId && e.itemId);
    const input: RecommendInput = {
      history: customer.map((e) => ({ itemId: e.itemId as string, type: e.type, ts: e.ts })),
      k: 10,
      filters: { availableOnly: true, excludeSeen: false },
      diversity: 0.3,
      exclude: [],
    };
    const scorer = new ModelPmiScorer(model);
    const ctx = { catalog, signals, weights: DEFAULT_RECS_WEIGHTS, lm: scorer };
    const first = await recommendItems(input, ctx); // warms up: neutral scores computed and cached
    const context = lmContext(input, catalog) as string;
    const promptTokens = model.encode(context);
    // The same 30 candidates the engine re-ranked (k + pool), as token rows.
    const out = await recommendItems({ ...input, k: 30, diversity: 0 }, ctx);
    const itemTokens = out.items.map((i) =>
      model.encode(itemText(catalog.items.get(i.itemId) as never)),
    );

    const muse: number[] = [];
    const bare: number[] = [];
    const reuse: number[] = [];
    const separate: number[] = [];
    for (let rep = 0; rep < REPS; rep++) {
      let t = performance.now();
      await recommendItems(input, ctx);
      muse.push(performance.now() - t);
      t = performance.now();
      await bareReuse(session, promptTokens, itemTokens, config);
      bare.push(performance.now() - t);
      t = performance.now();
      await model.scoreContinuations(promptTokens, itemTokens);
      reuse.push(performance.now() - t);
      t = performance.now();
      await fullSequences(
        session,
        itemTokens.map((t) => [...promptTokens, ...t]),
        config,
      );
      separate.push(performance.now() - t);
    }
    await session.release();
    const rows = [
      {
        shape: 'gpt2',
        candidates: first.reranked,
        'Muse k=10 ms': median(muse),
        'bare ORT same calls ms': median(bare),
        overhead: median(muse) / median(bare) - 1,
        'prefix reuse ms': median(reuse),
        'full sequences ms': median(separate),
        'reuse gain ×': median(separate) / median(reuse),
      },
    ];
    console.log(`\nRecommendations: k=10 with PMI re-ranking (medians of ${REPS}, warm)`);
    console.log(table(rows));
    return { rows, muse, bare, reuse, separate };
  });
}
