import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, pipeline } from '@huggingface/transformers';
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
