/**
 * EASE (Steck, "Embarrassingly Shallow Autoencoders for Sparse Data", WWW
 * 2019): a linear item-item model with a closed form. With X the binary
 * customer × item matrix, G = XᵀX + λI and P = G⁻¹, the weights are
 * B_ij = −P_ij / P_jj (B_jj = 0), and a customer's score for item j is
 * Σ_{i ∈ their items} B_ij. Dense: n² numbers per matrix and ~n³/2
 * multiply-adds for the inverse (Cholesky), so it is offered for catalogs up
 * to {@link EASE_MAX_ITEMS} items.
 */

/** Largest item count EASE runs on here (2 dense n × n matrices of 8-byte numbers: 256 MB at 4,000). */
export const EASE_MAX_ITEMS = 4000;
/** The L2 regularisation λ (the paper's range for such data is 100–1,000). */
export const EASE_LAMBDA = 500;

/**
 * Inverts a symmetric positive-definite n × n matrix (row-major) in place
 * through its Cholesky factor G = L·Lᵀ: G⁻¹ = L⁻ᵀ·L⁻¹. Every inner loop is
 * a dot product of two contiguous rows. Holds two n × n matrices: `g`,
 * overwritten with the inverse and returned, and one for L, overwritten
 * row by row with L⁻¹'s columns as they are found.
 */
export function invertSpd(g: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = g[rj + j] as number;
    for (let k = 0; k < j; k++) d -= (l[rj + k] as number) ** 2;
    if (!(d > 0)) throw new Error(`the matrix is not positive definite (pivot ${j} is ${d})`);
    const ljj = Math.sqrt(d);
    l[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = g[ri + j] as number;
      for (let k = 0; k < j; k++) s -= (l[ri + k] as number) * (l[rj + k] as number);
      l[ri + j] = s / ljj;
    }
  }
  // U = (L⁻¹)ᵀ, row c = column c of L⁻¹, which solves L·x = e_c (x_i = 0 for i < c). It reads
  // rows c… of L only, so it can take row c's place: later columns never read row c again.
  const x = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    x.fill(0);
    for (let i = c; i < n; i++) {
      const ri = i * n;
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= (l[ri + k] as number) * (x[k] as number);
      x[i] = s / (l[ri + i] as number);
    }
    l.set(x, c * n);
  }
  // G⁻¹_ij = Σ_k (L⁻¹)_ki (L⁻¹)_kj = Σ_{k ≥ max(i, j)} U_ik U_jk.
  const u = l;
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = i; j < n; j++) {
      const rj = j * n;
      let s = 0;
      for (let k = j; k < n; k++) s += (u[ri + k] as number) * (u[rj + k] as number);
      g[ri + j] = s;
      g[rj + i] = s;
    }
  }
  return g;
}

/** A fitted EASE model over `items` (index i of the matrices is `items[i]`). */
export interface EaseModel {
  items: readonly string[];
  /** B, row-major n × n. */
  weights: Float64Array;
}

/**
 * Fits EASE to baskets (each customer's distinct items).
 *
 * @example
 * ```ts
 * const model = fitEase([['a', 'b'], ['b', 'c']]);
 * easeScores(model, ['a']); // Map { 'b' => …, 'c' => … }
 * ```
 */
export function fitEase(
  baskets: ReadonlyArray<readonly string[]>,
  lambda = EASE_LAMBDA,
): EaseModel {
  const items = [...new Set(baskets.flat())].sort();
  const n = items.length;
  if (n > EASE_MAX_ITEMS) {
    throw new Error(`EASE runs on at most ${EASE_MAX_ITEMS} items here; this log has ${n}`);
  }
  const index = new Map(items.map((id, i) => [id, i]));
  const gram = new Float64Array(n * n);
  for (const basket of baskets) {
    const ids = [...new Set(basket)].map((id) => index.get(id) as number);
    for (const a of ids) for (const b of ids) gram[a * n + b] = (gram[a * n + b] as number) + 1;
  }
  return { items, weights: easeWeights(gram, n, lambda) };
}

/**
 * EASE's weights B from a Gram matrix G = XᵀX (n × n, row-major; any
 * weighting of the rows of X, e.g. sessions by age): B_ij = −P_ij / P_jj
 * with P = (G + λI)⁻¹, B_jj = 0. `gram` is used up (its diagonal gets λ).
 */
export function easeWeights(gram: Float64Array, n: number, lambda = EASE_LAMBDA): Float64Array {
  if (!(lambda > 0)) throw new RangeError(`λ must be positive, not ${lambda}`);
  for (let i = 0; i < n; i++) gram[i * n + i] = (gram[i * n + i] as number) + lambda;
  // B is P with each column divided by −P_jj, written over P.
  const p = invertSpd(gram, n);
  const diagonal = Float64Array.from({ length: n }, (_, j) => p[j * n + j] as number);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++)
      p[row + j] = i === j ? 0 : -(p[row + j] as number) / (diagonal[j] as number);
  }
  return p;
}

/** A customer's score for every item of the model, from the items they touched. */
export function easeScores(model: EaseModel, touched: Iterable<string>): Map<string, number> {
  const n = model.items.length;
  const index = new Map(model.items.map((id, i) => [id, i]));
  const sums = new Float64Array(n);
  for (const id of new Set(touched)) {
    const i = index.get(id);
    if (i === undefined) continue;
    const row = model.weights.subarray(i * n, (i + 1) * n);
    for (let j = 0; j < n; j++) sums[j] = (sums[j] as number) + (row[j] as number);
  }
  return new Map(model.items.map((id, j) => [id, sums[j] as number]));
}
