import { toCsv } from './csv.ts';
import type { CustomerSummary } from './profiles.ts';

/** Columns of `customers.csv`, in order. */
export const CUSTOMER_CSV_COLUMNS = [
  'customerId',
  'segment',
  'r',
  'f',
  'm',
  'engagement',
  'churnRisk',
  'recencyDays',
  'purchases90',
  'revenue90',
  'openRate90',
  'clickRate90',
  'bestHourUtc',
  'preferredChannel',
] as const;

/** `customers.csv`: one row per active customer, quoted and formula-escaped (`toCsv`). */
export function customersCsv(summaries: readonly CustomerSummary[]): string {
  const rows = [...summaries]
    .sort((a, b) => a.customerId.localeCompare(b.customerId))
    .map((s) => [
      s.customerId,
      s.rfm?.segment ?? '',
      s.rfm?.r ?? '',
      s.rfm?.f ?? '',
      s.rfm?.m ?? '',
      s.engagement,
      s.churnRisk,
      s.recencyDays,
      s.windows.d90.counts.purchase ?? 0,
      s.windows.d90.revenue.toFixed(2),
      s.rates.open.rate.toFixed(4),
      s.rates.click.rate.toFixed(4),
      s.bestHour ?? '',
      s.preferredChannel ?? '',
    ]);
  return toCsv(CUSTOMER_CSV_COLUMNS, rows);
}
