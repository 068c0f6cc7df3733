/**
 * Reading one line of a CSV Muse wrote (`toCsv` in `csv.ts`), without a CSV
 * library: the insights function serves customers.csv and must stay small.
 * Every record Muse writes is one line (ids cannot hold line breaks, other
 * fields are numbers and names), so a line is a record. Tested against
 * csv-parse on random fields.
 */

/**
 * Cells that get a leading `'`: those a spreadsheet would read as a formula
 * (OWASP CSV injection: `=`, `+`, `-`, `@`, tab, CR first), and those that
 * already start with `'`, so the escape can always be undone exactly.
 */
export const ESCAPED_START = /^[=+\-@\t\r']/;

/** The first field of a CSV line: unquoted up to the first comma, or quoted with `""` for a quote. */
export function firstField(line: string): string {
  if (!line.startsWith('"')) {
    const comma = line.indexOf(',');
    return comma < 0 ? line : line.slice(0, comma);
  }
  let out = '';
  for (let i = 1; i < line.length; i++) {
    const ch = line[i];
    if (ch !== '"') out += ch;
    else if (line[i + 1] === '"') {
      out += '"';
      i++;
    } else break;
  }
  return out;
}

/** The raw value of a cell Muse wrote (the formula escape undone). */
export function unescapeCell(cell: string): string {
  return cell.startsWith("'") && ESCAPED_START.test(cell.slice(1)) ? cell.slice(1) : cell;
}
