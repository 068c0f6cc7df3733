import { describe, expect, it } from 'vitest';
import { logProbs } from '#lib/model/logProbHead.ts';
import { sampleToken } from '#lib/model/sampler.ts';
import { SeededRandom } from '#lib/random.ts';

const logits = Float32Array.from([1, 3, 2, 0.5, 2.9]);

describe('sampleToken', () => {
  it('is greedy at temperature 0', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new SeededRandom(1))).toBe(1);
  });

  it('with topK 1 always picks the most likely token', () => {
    const rng = new SeededRandom(3);
    const picks = Array.from({ length: 50 }, () =>
      sampleToken(logits, { temperature: 1.5, topK: 1, topP: 1 }, rng),
    );

    expect(new Set(picks)).toEqual(new Set([1]));
  });

  it('with topK 2 picks only among the two most likely tokens', () => {
    const rng = new SeededRandom(4);
    const picks = Array.from({ length: 200 }, () =>
      sampleToken(logits, { temperature: 1, topK: 2, topP: 1 }, rng),
    );

    expect(new Set(picks)).toEqual(new Set([1, 4]));
  });

  it('with topP keeps the smallest set reaching the mass', () => {
    const rng = new SeededRandom(5);
    // p(1) ≈ 0.39, p(4) ≈ 0.35: 0.5 needs both, and nothing else.
    const picks = Array.from({ length: 200 }, () =>
      sampleToken(logits, { temperature: 1, topK: 0, topP: 0.5 }, rng),
    );

    expect(new Set(picks)).toEqual(new Set([1, 4]));
  });

  it('reproduces the same picks from the same seed', () => {
    const draw = (seed: number) => {
      const rng = new SeededRandom(seed);
      return Array.from({ length: 20 }, () =>
        sampleToken(logits, { temperature: 1, topK: 0, topP: 1 }, rng),
      );
    };

    expect(draw(9)).toEqual(draw(9));
    expect(draw(9)).not.toEqual(draw(10));
  });
});

describe('logProbs (ONNX log-softmax head)', () => {
  it('is the log-softmax of each target entry, per row', async () => {
    const rows = [
      [0.5, 2, -1, 3, 0],
      [4, 4, 4, -2, 1],
    ];
    const expected = (row: number[], t: number) =>
      (row[t] as number) - Math.log(row.reduce((s, x) => s + Math.exp(x), 0));

    const out = await logProbs(Float32Array.from(rows.flat()), 5, [
      [2, 3],
      [0, 3],
    ]);

    expect(out[0]?.[0]).toBeCloseTo(expected(rows[0] as number[], 2), 5);
    expect(out[0]?.[1]).toBeCloseTo(expected(rows[0] as number[], 3), 5);
    expect(out[1]?.[0]).toBeCloseTo(expected(rows[1] as number[], 0), 5);
    expect(out[1]?.[1]).toBeCloseTo(expected(rows[1] as number[], 3), 5);
  });

  it('scores a row taken out of a larger buffer (a view with an offset)', async () => {
    const buffer = Float32Array.from([9, 9, 9, 1, 2, 3]);
    const [[lp]] = (await logProbs(buffer.subarray(3), 3, [[2]])) as [[number]];

    expect(lp).toBeCloseTo(3 - Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), 5);
  });

  it('refuses logits that do not match the rows', async () => {
    await expect(logProbs(new Float32Array(7), 5, [[0]])).rejects.toThrow(/7 logits for 1 rows/);
  });
});
