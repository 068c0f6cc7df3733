import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gpt2Dims, OrtGpt2Model } from '#lib/model/ortGpt2.ts';
import { sessionOptions } from '#lib/model/sessionOptions.ts';
import { CACHE_CHUNK } from '#lib/model/stridedCache.ts';
import type { GenerationResult, SamplingOptions } from '#lib/model/textModel.ts';
import { tinyModelDir } from '#test/support/tinyModel.ts';
import { fuseAttention } from '#tools/model/optimize/attention.ts';
import { exposeNewKeyValues } from '#tools/model/optimize/newKeyValues.ts';

const { onnx } = onnxProto;
type Model = onnxProto.onnx.IModelProto;

const HEADS = 4;
const HEAD_DIM = 16;
const LAYERS = 2;

const fp32 = async () =>
  onnx.ModelProto.decode(await readFile(join(await tinyModelDir(), 'onnx', 'model.onnx')));

const session = (m: Model) =>
  ort.InferenceSession.create(onnx.ModelProto.encode(m).finish(), sessionOptions(1));

const tokenizer = { encode: () => [], decode: () => '' };
const INFO = { id: 'test', version: 'x', sha256: '', randomWeights: true, source: 'built:tiny' };
const tinyDims = async () =>
  gpt2Dims(JSON.parse(await readFile(join(await tinyModelDir(), 'config.json'), 'utf8')));

/**
 * The same graph decoded by Muse's loop with each cache: its own buffers (asking for
 * `present.*` on demand when `onDemand`), and `present.*` carried back.
 */
async function bothCaches(m: Model, onDemand = false) {
  const [s, dims] = await Promise.all([session(m), tinyDims()]);
  return {
    session: s,
    strided: new OrtGpt2Model(s, tokenizer, { ...dims, presentOnDemand: onDemand }, INFO),
    carried: new OrtGpt2Model(s, tokenizer, dims, INFO, { stridedCache: false }),
    release: () => s.release(),
  };
}

const expectSame = (a: GenerationResult, b: GenerationResult) => {
  expect(a.sequences.map((s) => s.tokens)).toEqual(b.sequences.map((s) => s.tokens));
  a.sequences.forEach((s, r) => {
    s.logprobs.forEach((lp, j) => {
      expect(Math.abs(lp - (b.sequences[r]?.logprobs[j] as number))).toBeLessThan(1e-4);
    });
  });
};

// A prompt of 5 tokens and 70 new ones: the cache starts at 32 positions and grows twice.
const PROMPT = [464, 3290, 318, 257, 922];
const NEW_TOKENS = 70;
const SAMPLED: SamplingOptions = {
  n: 3,
  maxNewTokens: NEW_TOKENS,
  temperature: 0.9,
  topK: 50,
  topP: 0.95,
  seed: 7,
};
const GREEDY: SamplingOptions = { ...SAMPLED, n: 1, temperature: 0 };

describe('new keys and values as outputs (model:optimize) and the strided cache that reads them', () => {
  for (const [name, prepare, onDemand] of [
    ['unfused export (Concat)', (_m: Model) => {}, false],
    [
      'fused attention (MultiHeadAttention)',
      (m: Model) => fuseAttention(m, { numHeads: HEADS }),
      false,
    ],
    [
      'split attention, present.* on demand',
      (m: Model) => fuseAttention(m, { numHeads: HEADS, headDim: HEAD_DIM, kernel: 'split' }),
      true,
    ],
  ] as const) {
    it(`${name}: new.{i}.* are the positions a run appends to present.{i}.*`, async () => {
      const m = await fp32();
      prepare(m);
      expect(exposeNewKeyValues(m, { numHeads: HEADS, headDim: HEAD_DIM })).toBe(LAYERS);
      const s = await session(m);
      const past = 3;
      const feeds: Record<string, ort.Tensor> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from([5n, 6n]), [1, 2]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(past + 2).fill(1n), [
          1,
          past + 2,
        ]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from([3n, 4n]), [1, 2]),
      };
      for (let l = 0; l < LAYERS; l++) {
        for (const kv of ['key', 'value']) {
          feeds[`past_key_values.${l}.${kv}`] = new ort.Tensor(
            'float32',
            Float32Array.from({ length: HEADS * past * HEAD_DIM }, (_, i) => Math.sin(i)),
            [1, HEADS, past, HEAD_DIM],
          );
        }
      }
      const out = await s.run(feeds);
      for (let l = 0; l < LAYERS; l++) {
        for (const kv of ['key', 'value']) {
          const fresh = out[`new.${l}.${kv}`] as ort.Tensor;
          const present = (out[`present.${l}.${kv}`] as ort.Tensor).data as Float32Array;
          expect(fresh.dims).toEqual([1, HEADS, 2, HEAD_DIM]);
          const tail = Array.from({ length: HEADS }, (_, h) => [
            ...present.subarray(
              (h * (past + 2) + past) * HEAD_DIM,
              (h * (past + 2) + past + 2) * HEAD_DIM,
            ),
          ]).flat();
          expect([...(fresh.data as Float32Array)]).toEqual(tail);
        }
      }
      await s.release();
    });

    it(`${name}: the strided cache decodes what carrying present.* decodes, across ${Math.ceil((PROMPT.length + NEW_TOKENS) / CACHE_CHUNK) - 1} growths`, async () => {
      const m = await fp32();
      prepare(m);
      exposeNewKeyValues(m, { numHeads: HEADS, headDim: HEAD_DIM });
      const { session: s, strided, carried, release } = await bothCaches(m, onDemand);
      expect([strided.stridedCache, carried.stridedCache]).toEqual([true, false]);
      // What the strided loop feeds: the mask's width beyond the past (1 new + 1 on demand).
      const extra = new Set<number>();
      const run = s.run.bind(s);
      s.run = ((feeds: Record<string, ort.Tensor>, fetches?: string[]) => {
        const past = feeds['past_key_values.0.key']?.dims[2] as number;
        if (fetches) extra.add((feeds.attention_mask?.dims[1] as number) - past);
        return run(feeds, fetches as string[]);
      }) as typeof s.run;

      for (const options of [GREEDY, SAMPLED]) {
        const [a, b] = [
          await strided.generate(PROMPT, options),
          await carried.generate(PROMPT, options),
        ];
        expect(a.steps).toBe(NEW_TOKENS);
        expectSame(a, b);
      }
      expect([...extra]).toEqual([onDemand ? 2 : 1]);
      await release();
    });
  }

  it('adds nothing when a layer’s cache is written by something else, and the loop then carries present.*', async () => {
    const m = await fp32();
    const graph = m.graph as onnxProto.onnx.IGraphProto;
    // Layer 1's key cache behind an Identity: not a Concat, not a MultiHeadAttention.
    for (const n of graph.node ?? []) {
      n.output = (n.output ?? []).map((o) => (o === 'present.1.key' ? 'present.1.key.raw' : o));
    }
    graph.node = [
      ...(graph.node ?? []),
      { opType: 'Identity', input: ['present.1.key.raw'], output: ['present.1.key'] },
    ];
    const outputs = (graph.output ?? []).map((o) => o.name);

    expect(exposeNewKeyValues(m, { numHeads: HEADS, headDim: HEAD_DIM })).toBe(0);
    expect((graph.output ?? []).map((o) => o.name)).toEqual(outputs);
    const { strided, release } = await bothCaches(m);
    expect(strided.stridedCache).toBe(false);
    await release();
  });

  it('adds nothing when a layer’s Concat does not append to that layer’s past, or its MultiHeadAttention is not fuseAttention’s', async () => {
    const swapped = await fp32();
    const concat = (swapped.graph?.node ?? []).find((n) =>
      (n.output ?? []).includes('present.0.value'),
    ) as onnxProto.onnx.INodeProto;
    concat.input = [...(concat.input ?? [])].reverse();
    expect(exposeNewKeyValues(swapped, { numHeads: HEADS, headDim: HEAD_DIM })).toBe(0);

    const foreign = await fp32();
    fuseAttention(foreign, { numHeads: HEADS });
    const mha = (foreign.graph?.node ?? []).find(
      (n) => n.opType === 'MultiHeadAttention',
    ) as onnxProto.onnx.INodeProto;
    mha.name = 'someone_elses_attention';
    expect(exposeNewKeyValues(foreign, { numHeads: HEADS, headDim: HEAD_DIM })).toBe(0);
  });

  it('refuses a strided cache on a graph without new.{i}.* outputs', async () => {
    const [s, dims] = await Promise.all([session(await fp32()), tinyDims()]);
    expect(() => new OrtGpt2Model(s, tokenizer, dims, INFO, { stridedCache: true })).toThrow(
      /new\.\{i\}\.\* outputs/,
    );
    await s.release();
  });
});
