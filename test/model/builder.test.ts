import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, pipeline } from '@huggingface/transformers';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tinyModelDir } from '#test/support/tinyModel.ts';
import { buildModel } from '#tools/model/builder/buildModel.ts';

const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

let dir: string;
beforeAll(async () => {
  dir = await tinyModelDir();
  env.allowRemoteModels = false;
  env.localModelPath = `${join(dir, '..')}/`;
});

describe('model builder', () => {
  it('builds byte-identical files from the same seed', async () => {
    const other = join(await mkdtemp(join(tmpdir(), 'muse-tiny-')), 'model');

    const files = await buildModel({ shape: 'tiny', outDir: other });

    for (const file of files)
      expect(await sha(join(other, file.path))).toBe(await sha(join(dir, file.path)));
  });

  it('builds different weights from a different seed', async () => {
    const other = join(await mkdtemp(join(tmpdir(), 'muse-tiny-')), 'model');

    await buildModel({ shape: 'tiny', outDir: other, seed: 7 });

    expect(await sha(join(other, 'onnx/model_quantized.onnx'))).not.toBe(
      await sha(join(dir, 'onnx/model_quantized.onnx')),
    );
  });

  it('writes a tokenizer with GPT-2 ids that round-trips text', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained('model');
    const text = ' Spring sale: 20% off trail shoes — ends Sunday!';

    expect(tokenizer.encode('Hello world')).toEqual([15496, 995]);
    expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('loads in the transformers.js text-generation pipeline with dtype q8 and generates', async () => {
    const generator = await pipeline('text-generation', 'model', { dtype: 'q8' });

    const out = (await generator('Hello world', { maxNewTokens: 5, do_sample: false })) as Array<{
      generated_text: string;
    }>;

    expect(out[0]?.generated_text.startsWith('Hello world')).toBe(true);
    expect(out[0]?.generated_text.length).toBeGreaterThan('Hello world'.length);
  });

  it('marks the config as random weights', async () => {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));

    expect(config).toMatchObject({
      model_type: 'gpt2',
      n_layer: 2,
      n_embd: 64,
      muse: { random_weights: true },
    });
  });
});

describe('the merged-decoder stand-in (--merged: legacy decoder_model_merged[_quantized].onnx)', () => {
  const { onnx } = onnxProto;
  const int64 = (values: number[], dims: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);
  const emptyPast = () =>
    Object.fromEntries(
      [0, 1].flatMap((i) =>
        ['key', 'value'].map((kind) => [
          `past_key_values.${i}.${kind}`,
          new ort.Tensor('float32', new Float32Array(0), [1, 4, 0, 16]),
        ]),
      ),
    );
  const floats = (t: ort.Tensor | undefined) => [...((t as ort.Tensor).data as Float32Array)];
  const branchFlag = (on: boolean) => ({ use_cache_branch: new ort.Tensor('bool', [on], [1]) });
  let mergedDir: string;
  beforeAll(async () => {
    mergedDir = join(await mkdtemp(join(tmpdir(), 'muse-merged-')), 'model');
    await buildModel({ shape: 'tiny', outDir: mergedDir, merged: true });
  });

  it('is one If on use_cache_branch over two branches that read the shared weights from the outer scope, as optimum merges them', async () => {
    const plain = onnx.ModelProto.decode(await readFile(join(dir, 'onnx/model_quantized.onnx')))
      .graph as onnxProto.onnx.IGraphProto;
    const merged = onnx.ModelProto.decode(
      await readFile(join(mergedDir, 'onnx/decoder_model_merged_quantized.onnx')),
    ).graph as onnxProto.onnx.IGraphProto;
    const [node] = merged.node ?? [];
    const branch = (name: string) =>
      node?.attribute?.find((a) => a.name === name)?.g as onnxProto.onnx.IGraphProto;
    const readsPast = (g: onnxProto.onnx.IGraphProto) =>
      (g.node ?? []).some((n) => (n.input ?? []).some((x) => x.startsWith('past_key_values.')));

    expect(merged.node).toHaveLength(1);
    expect([node?.opType, node?.name, node?.input]).toEqual([
      'If',
      'optimum::if',
      ['use_cache_branch'],
    ]);
    expect((merged.input ?? []).map((i) => i.name)).toEqual([
      ...(plain.input ?? []).map((i) => i.name),
      'use_cache_branch',
    ]);
    expect((merged.output ?? []).map((o) => o.name)).toEqual(
      (plain.output ?? []).map((o) => o.name),
    );
    expect(node?.output).toEqual((plain.output ?? []).map((o) => o.name));
    expect([readsPast(branch('then_branch')), readsPast(branch('else_branch'))]).toEqual([
      true,
      false,
    ]);
    // Every weight is a top-level initializer; a branch keeps only scalars and 1-D int64 constants.
    for (const g of [branch('then_branch'), branch('else_branch')]) {
      for (const t of g.initializer ?? []) expect((t.dims ?? []).length).toBeLessThanOrEqual(1);
    }
    expect((merged.initializer ?? []).map((t) => t.name)).toContain(
      'h.0.attn.c_attn.weight_quantized',
    );
  });

  it('computes what the plain graph computes: the first step on the no-past branch, the next on the with-past branch', async () => {
    const [plain, merged] = await Promise.all([
      ort.InferenceSession.create(join(dir, 'onnx/model_quantized.onnx')),
      ort.InferenceSession.create(join(mergedDir, 'onnx/decoder_model_merged_quantized.onnx')),
    ]);
    const prefill = {
      input_ids: int64([5, 9, 2], [1, 3]),
      attention_mask: int64([1, 1, 1], [1, 3]),
      position_ids: int64([0, 1, 2], [1, 3]),
      ...emptyPast(),
    };
    const [a, b] = [
      await plain.run(prefill),
      await merged.run({ ...prefill, ...branchFlag(false) }),
    ];
    // The next token, over each graph's own cache.
    const step = (cache: ort.InferenceSession.ReturnType) => ({
      input_ids: int64([7], [1, 1]),
      attention_mask: int64([1, 1, 1, 1], [1, 4]),
      position_ids: int64([3], [1, 1]),
      ...Object.fromEntries(
        [0, 1].flatMap((i) =>
          ['key', 'value'].map((kind) => [
            `past_key_values.${i}.${kind}`,
            cache[`present.${i}.${kind}`] as ort.Tensor,
          ]),
        ),
      ),
    });
    const [c, d] = [
      await plain.run(step(a)),
      await merged.run({ ...step(b), ...branchFlag(true) }),
    ];

    expect(floats(b.logits)).toEqual(floats(a.logits));
    expect(floats(b['present.1.value'])).toEqual(floats(a['present.1.value']));
    expect(floats(d.logits)).toEqual(floats(c.logits));
    await Promise.all([plain.release(), merged.release()]);
  });
});
