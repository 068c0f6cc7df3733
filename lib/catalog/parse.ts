import { parse as parseCsv } from 'csv-parse/sync';
import type { FieldIssue } from '../errors.ts';
import { toFieldIssues } from '../validation.ts';
import { CatalogItem } from './schema.ts';

/** A row that failed validation: its 1-based row number and what is wrong. */
export interface RowError {
  /** 1-based data row (the CSV header is not counted; JSON array index + 1). */
  row: number;
  id?: string;
  issues: FieldIssue[];
}

/** A parsed catalog file: the valid items and every invalid row. */
export interface ParsedCatalog {
  items: CatalogItem[];
  errors: RowError[];
}

/** Separator of the `tags` column in CSV files. */
export const CSV_TAG_SEPARATOR = '|';

const BOOLEAN_WORDS: Record<string, boolean> = {
  true: true,
  yes: true,
  '1': true,
  false: false,
  no: false,
  '0': false,
};

/**
 * A CSV row as the catalog schema expects it: `price` as a number, `tags`
 * split on `|`, `available` from true/false/yes/no/1/0. A cell that does
 * not convert is passed through unchanged so the schema names it.
 */
function fromCsvRow(row: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  if (row.price !== undefined && row.price.trim() !== '' && Number.isFinite(Number(row.price))) {
    out.price = Number(row.price);
  }
  if (row.tags !== undefined) {
    out.tags = row.tags
      .split(CSV_TAG_SEPARATOR)
      .map((t) => t.trim())
      .filter(Boolean);
  }
  if (row.available !== undefined) {
    const word = BOOLEAN_WORDS[row.available.trim().toLowerCase()];
    out.available = row.available.trim() === '' ? undefined : (word ?? row.available);
  }
  for (const key of ['description', 'tags', 'available'] as const) {
    if (out[key] === undefined || out[key] === '') delete out[key];
  }
  return out;
}

/**
 * Parses and validates a catalog file (a JSON array of items, or CSV with a
 * header row `id,title,description,category,price,tags,available`). Every
 * row is checked; duplicates of an id are errors after the first.
 *
 * @example
 * ```ts
 * const { items, errors } = parseCatalog(await readFile('catalog.csv', 'utf8'), 'csv');
 * ```
 */
export function parseCatalog(text: string, format: 'json' | 'csv'): ParsedCatalog {
  let rows: unknown[];
  if (format === 'json') {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) throw new Error('A JSON catalog must be an array of items.');
    rows = value;
  } else {
    const records = parseCsv(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    }) as Record<string, string>[];
    rows = records.map(fromCsvRow);
  }
  const items: CatalogItem[] = [];
  const errors: RowError[] = [];
  const seen = new Set<string>();
  rows.forEach((raw, i) => {
    const parsed = CatalogItem.safeParse(raw);
    const id = (raw as { id?: unknown } | null)?.id;
    const named = typeof id === 'string' ? { id } : {};
    if (!parsed.success) {
      errors.push({ row: i + 1, ...named, issues: toFieldIssues(parsed.error) });
    } else if (seen.has(parsed.data.id)) {
      errors.push({
        row: i + 1,
        ...named,
        issues: [
          { path: 'id', message: `duplicate id "${parsed.data.id}" (an earlier row has it)` },
        ],
      });
    } else {
      seen.add(parsed.data.id);
      items.push(parsed.data);
    }
  });
  return { items, errors };
}

/** The format of a catalog file from its name (`.csv` → csv, anything else → json). */
export const catalogFormat = (file: string): 'json' | 'csv' =>
  file.toLowerCase().endsWith('.csv') ? 'csv' : 'json';
