import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topIndices } from '#lib/topK.ts';

/** The reference: every index sorted by value, largest first, ties by index; the first k. */
const byFullSort = (values: readonly number[], k: number) =>
  values
    .map((v, i) => [v, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, Math.max(0, k))
    .map(([, i]) => i);

describe('topIndices', () => {
  it('equals a full stable sort cut at k, ties (many: values from a small set) in index order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 200 }),
        fc.integer({ min: -1, max: 220 }),
        (values, k) => {
          expect(topIndices(Float32Array.from(values), k)).toEqual(byFullSort(values, k));
          expect(topIndices(values, k)).toEqual(byFullSort(values, k));
        },
      ),
    );
  });

  it('handles infinities and the top of a GPT-2-sized row', () => {
    const row = new Float32Array(50_257).fill(-1);
    row[7] = Number.POSITIVE_INFINITY;
    row[50_256] = 5;
    row[3] = Number.NEGATIVE_INFINITY;
    row[100] = 5;
    expect(topIndices(row, 3)).toEqual([7, 100, 50_256]);
    expect(topIndices(row, 0)).toEqual([]);
    expect(topIndices(row, 50_257).at(-1)).toBe(3);
  });
});
