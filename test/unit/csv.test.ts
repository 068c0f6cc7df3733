import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeCell, parseCsv, toCsv, unescapeCell } from '#lib/insights/csv.ts';
import { firstField } from '#lib/insights/csvLine.ts';

describe('customers CSV cells', () => {
  it.each(['=1+1', '+A1', '-2+3', '@SUM(A1)', '\tcmd', '\rx', "'=1", "'"])(
    'escapes %j so a spreadsheet reads text, not a formula',
    (id) => {
      const [, row] = parseCsv(toCsv(['customerId'], [[id]]));

      expect(row?.[0]).toBe(`'${id}`);
      expect(unescapeCell(row?.[0] ?? '')).toBe(id);
    },
  );

  it('quotes ids holding commas, quotes and non-Latin text, and reads them back', () => {
    const ids = ['a,b', 'say "hi"', 'ünïcødé-客户', '🛒🎁'];

    const rows = parseCsv(
      toCsv(
        ['customerId', 'n'],
        ids.map((id, i) => [id, i]),
      ),
    );

    expect(rows.slice(1).map((r) => r[0])).toEqual(ids);
    expect(rows.slice(1).map((r) => r[1])).toEqual(['0', '1', '2', '3']);
  });

  it('leaves ordinary text and numbers as they are', () => {
    expect(escapeCell('cust-00001')).toBe('cust-00001');
    expect(toCsv(['n'], [[-1.5]])).toBe('n\n-1.5\n');
  });

  it('reads the first field of a line as csv-parse does, for any field without a line break', () => {
    const field = fc
      .oneof(fc.string({ maxLength: 40 }), fc.constantFrom("'=x", "''", "'+1", '"a,b"', '=a'))
      .filter((v) => !/[\r\n]/.test(v));

    fc.assert(
      fc.property(field, field, (a, b) => {
        const line = toCsv(['x', 'y'], [[a, b]]).split('\n')[1] as string;
        expect(firstField(line)).toBe(parseCsv(line)[0]?.[0]);
        expect(unescapeCell(firstField(line))).toBe(a);
      }),
      { numRuns: 500, seed: 42 },
    );
  });
});
