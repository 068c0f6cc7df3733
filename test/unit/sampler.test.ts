import { describe, expect, it } from 'vitest';
import { logProb, sampleToken } from '#lib/model/sampler.ts';
import { SeededRandom } from '#lib/random.ts';

const logits = Float32Array.from([1, 3, 2, 0.5, 2.9]);

describe('sampleToken', () => {
  it('is greedy at temperature 0', () => {
    expect(sampleToken(logits, { temperature: 0, topK: 0, topP: 1 }, new SeededRandom(1))).toBe(1);
  });

  it('with top_k 1 always picks the most likely token', () => {
    const rng = new SeededRandom(3);
    const picks = Array.from({ length: 50 }, () =>
      sampleToken(logits, { temperature: 1.5, topK: 1, topP: 1 }, rng),
    );

    expect(new Set(picks)).toEqual(new Set([1]));
  });

  it('with top_k 2 picks only among the two most likely tokens', () => {
    const rng = new SeededRandom(4);
    const picks = Array.from({ length: 200 }, () =>
      sampleToken(logits, { temperature: 1, topK: 2, topP: 1 }, rng),
    );

    expect(new Set(picks)).toEqual(new Set([1, 4]));
  });

  it('with top_p keeps the smallest set reaching the mass', () => {
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

describe('logProb', () => {
  it('is the log-softmax of the chosen entry', () => {
    const z = [...logits].reduce((s, x) => s + Math.exp(x), 0);

    expect(logProb(logits, 2)).toBeCloseTo(2 - Math.log(z), 5);
  });
});
