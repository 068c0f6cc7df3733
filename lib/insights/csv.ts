import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

import { ESCAPED_START } from './csvLine.ts';

/**
 * A cell as written: strings that a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab or carriage return first) get a leading `'`,
 * OWASP's recommendation, and so do strings already starting with `'` (so
 * the escape is reversible); numbers are left alone (a negative number is data).
 */
export function escapeCell(value: string): string {
  return ESCAPED_START.test(value) ? `'${value}` : value;
}

/**
 * A CSV document (RFC 4180 through csv-stringify: fields with commas,
 * quotes or line breaks quoted; a header row; `\n` line ends) with every
 * string cell escaped by {@link escapeCell}. Ids may hold any printable
 * character, so quoting is not optional.
 *
 * @example
 * ```ts
 * toCsv(['customerId', 'segment'], [['=HYPERLINK("x")', 'champions']]);
 * // customerId,segment\n"'=HYPERLINK(""x"")",champions\n
 * ```
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return stringify([header as unknown[], ...(rows as unknown[][])], {
    cast: { string: escapeCell },
    record_delimiter: '\n',
  });
}

/** The rows of a CSV written by {@link toCsv} (header included), as strings. */
export function parseCsv(text: string): string[][] {
  return parse(text, { relax_column_count: true }) as string[][];
}

export { unescapeCell } from './csvLine.ts';
