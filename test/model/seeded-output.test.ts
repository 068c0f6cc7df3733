import { beforeAll, describe, expect, it } from 'vitest';
import type { TextModel } from '#lib/model/textModel.ts';
import { loadTinyModel, publishTinyModel } from '#test/support/tinyModel.ts';

const PROMPT = 'Spring sale on trail shoes';

/** Eight new tokens of `n` sequences from the prompt with these sampling settings. */
const tokensOf = async (n: number, temperature: number, seed: number) => {
  const out = await model.generate(model.encode(PROMPT), {
    n,
    maxNewTokens: 8,
    temperature,
    topK: temperature === 0 ? 0 : 50,
    topP: temperature === 0 ? 1 : 0.95,
    seed,
  });
  return out.sequences.map((s) => s.tokens);
};

let model: TextModel;

beforeAll(async () => {
  model = await loadTinyModel(await publishTinyModel('test/seeded'), 'muse-seeded');
});

describe('the tiny model (seed 1234 weights, q8) through Muse’s loader', () => {
  it('decodes greedily to the pinned tokens', async () => {
    expect(await tokensOf(1, 0, 1)).toEqual([Array(8).fill(10012)]);
  });

  it('samples the pinned tokens for seed 42', async () => {
    expect(await tokensOf(2, 0.9, 42)).toEqual([
      [32976, 47982, 28841, 18765, 20424, 20424, 20424, 29708],
      [11291, 10012, 30311, 43408, 36761, 22423, 13762, 9695],
    ]);
  });
});
