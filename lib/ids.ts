import { z } from 'zod';

/** The most characters (Unicode code points) an id may have. */
export const MAX_ID_CHARS = 128;

/** The one id rule, as every 400 states it. */
export const ID_RULE = `1-${MAX_ID_CHARS} printable characters (any script, digits, punctuation, emoji; no "/", control or invisible formatting characters, no leading or trailing space), and not "." or ".."`;

/**
 * Characters an id may not hold: `/` (ids appear in URL paths), C0/C1
 * controls, line and paragraph separators, bidirectional overrides (which
 * make a printed id read differently from its bytes), unpaired surrogates,
 * private-use and unassigned code points.
 */
const FORBIDDEN = /[/\p{Cc}\p{Cs}\p{Co}\p{Cn}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/** Whether `value` meets {@link ID_RULE}. */
export function isValidId(value: string): boolean {
  const chars = [...value].length;
  return (
    chars >= 1 &&
    chars <= MAX_ID_CHARS &&
    value === value.trim() &&
    value !== '.' &&
    value !== '..' &&
    !FORBIDDEN.test(value)
  );
}

/**
 * The schema of every client id (customer, item, campaign, variant, event),
 * applied at every entry point: ingestion, catalog, recommend, copy, the
 * insights and erasure paths. `__proto__` or `constructor` are valid ids:
 * Muse never uses an id as a key of a plain object (`lib/dict.ts`).
 *
 * @example
 * ```ts
 * const CustomerId = Id('your customer id');
 * ```
 */
export function Id(what: string) {
  return z.string().refine(isValidId, { error: `must be ${ID_RULE} (${what})` });
}
