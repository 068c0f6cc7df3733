/**
 * The one cache of loaded values in a container. Each key's load runs at
 * most once per `ttlMs` (default: for the container's life); concurrent
 * callers share the pending promise; a failed load is forgotten, so the next
 * call retries (e.g. after a model is published). Keys live in a `Map`, so
 * client strings are safe keys.
 *
 * @example
 * ```ts
 * const exemplars = keyedCache((kind: CopyKind) => store.getExemplars(kind), 5 * 60_000);
 * await exemplars('sms');
 * ```
 */
export function keyedCache<K, V>(
  load: (key: K) => Promise<V>,
  ttlMs = Number.POSITIVE_INFINITY,
  now: () => number = Date.now,
): (key: K) => Promise<V> {
  const entries = new Map<K, { at: number; value: Promise<V> }>();
  return (key) => {
    const hit = entries.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.value;
    const value = load(key).catch((error: unknown) => {
      if (entries.get(key)?.value === value) entries.delete(key);
      throw error;
    });
    entries.set(key, { at: now(), value });
    return value;
  };
}

/** {@link keyedCache} for a single value. */
export function cachedValue<V>(
  load: () => Promise<V>,
  ttlMs = Number.POSITIVE_INFINITY,
  now: () => number = Date.now,
): () => Promise<V> {
  const get = keyedCache(() => load(), ttlMs, now);
  return () => get(undefined);
}
