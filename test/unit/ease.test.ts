import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { easeScores, fitEase, invertSpd } from '#lib/recommend/ease.ts';

describe('EASE', () => {
  it('inverts symmetric positive-definite matrices: G · G⁻¹ = I', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 144, maxLength: 144 }),
        (n, values) => {
          // A·Aᵀ + n·I is symmetric positive definite.
          const g = new Float64Array(n * n);
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) {
              let s = i === j ? n : 0;
              for (let k = 0; k < n; k++)
                s += (values[i * n + k] as number) * (values[j * n + k] as number);
              g[i * n + j] = s;
            }
          const inv = invertSpd(Float64Array.from(g), n);
          for (let i = 0; i < n; i++)
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let k = 0; k < n; k++)
                s += (g[i * n + k] as number) * (inv[k * n + j] as number);
              expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
            }
        },
      ),
      { numRuns: 50 },
    );
  });

  it('matches the closed form on two items', () => {
    // Baskets: {a, b} twice, {a} once. G = XᵀX + λI = [[3 + λ, 2], [2, 2 + λ]].
    const lambda = 1;
    const model = fitEase([['a', 'b'], ['a', 'b'], ['a']], lambda);
    const [ga, gb, c] = [3 + lambda, 2 + lambda, 2];
    const det = ga * gb - c * c;
    const p = { aa: gb / det, bb: ga / det, ab: -c / det };

    expect(model.items).toEqual(['a', 'b']);
    expect([...model.weights]).toEqual(
      [0, -p.ab / p.bb, -p.ab / p.aa, 0].map((v) => expect.closeTo(v, 12)),
    );
  });

  it('scores the item bought with what a customer has above one never bought with it', () => {
    const model = fitEase(
      [
        ['tent', 'stove'],
        ['tent', 'stove'],
        ['tent', 'stove', 'lamp'],
        ['mug', 'pan'],
        ['mug', 'pan'],
      ],
      0.5,
    );
    const scores = easeScores(model, ['tent']);

    expect(scores.get('stove')).toBeGreaterThan(scores.get('pan') as number);
    expect(scores.get('stove')).toBeGreaterThan(scores.get('lamp') as number);
    expect(scores.get('tent')).toBe(0); // no self-weight
  });

  it('refuses more items than it can hold', () => {
    const many = [Array.from({ length: 4001 }, (_, i) => `i${i}`)];
    expect(() => fitEase(many)).toThrow(/at most 4000 items/);
  });
});
