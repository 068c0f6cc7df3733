/**
 * Indices of the `k` largest values, largest first; equal values keep their
 * order (lower index first). Partial insertion: O(length · k) at worst, about
 * O(length) when k is small, as for top-k sampling and neighbour lists.
 *
 * @example
 * ```ts
 * topIndices(new Float32Array([0.1, 3, 2]), 2); // [1, 2]
 * ```
 */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  if (k <= 0) return idx;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (idx.length === k && v <= (values[idx[k - 1] as number] as number)) continue;
    let j = idx.length < k ? idx.length : k - 1;
    if (idx.length < k) idx.push(i);
    while (j > 0 && (values[idx[j - 1] as number] as number) < v) {
      idx[j] = idx[j - 1] as number;
      j--;
    }
    idx[j] = i;
  }
  return idx;
}
