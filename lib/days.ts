/**
 * UTC days, the one module for them: Muse's nightly job, partitions, reports
 * and windows all speak in UTC days written `yyyy-mm-dd`.
 */

/** Milliseconds in a UTC day. */
export const DAY_MS = 86_400_000;

/** The UTC day (`yyyy-mm-dd`) of an ISO timestamp or a `Date`. */
export function dayOf(at: string | Date): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** Days since 1970-01-01 of a UTC day (for differences and ages). */
export function dayNumber(day: string): number {
  return Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
}

/** The UTC day `n` days after `day` (before, for negative `n`). */
export function addDays(day: string, n: number): string {
  return dayOf(new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS));
}

/** The UTC day before `now`: what a nightly run aggregates. */
export function yesterday(now: Date = new Date()): string {
  return dayOf(new Date(now.getTime() - DAY_MS));
}

/** The UTC days from `from` to `to`, both included, oldest first. */
export function daysFrom(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) days.push(d);
  return days;
}

/**
 * The `length` UTC days of a window ending at `day` (included), oldest first.
 *
 * @example
 * ```ts
 * windowEndingAt('2026-11-30', 3); // ['2026-11-28', '2026-11-29', '2026-11-30']
 * ```
 */
export function windowEndingAt(day: string, length: number): string[] {
  return Array.from({ length }, (_, i) => addDays(day, i - (length - 1)));
}
