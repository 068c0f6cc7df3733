import type { CatalogItem } from '../catalog/schema.ts';
import { toCsv } from './csv.ts';
import type { CustomerSummary } from './profiles.ts';
import { WINBACK_SEGMENTS } from './stats.ts';

/** Columns of `customers.csv` and `winback.csv`, in order (every row starts with the customer id). */
export const CUSTOMER_CSV_COLUMNS = [
  'customerId',
  'segment',
  'churnRisk',
  'recencyDays',
  'lastSeen',
  'frequency90',
  'monetary90',
  'lifetimeRevenue',
  'r',
  'f',
  'm',
  'engagement',
  'topCategory',
  'preferredChannel',
  'bestHourUtc',
  'bestWeekday',
  'sendTimeN',
  'openRate90',
  'delivered90',
] as const;

const WEEKDAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The customer's top category: their top items' categories, purchases counting 3× views. */
function topCategory(
  s: CustomerSummary,
  catalog: ReadonlyMap<string, CatalogItem>,
): string | undefined {
  const byCategory = new Map<string, number>();
  for (const item of s.topItems) {
    const category = catalog.get(item.itemId)?.category;
    if (category)
      byCategory.set(category, (byCategory.get(category) ?? 0) + item.views + 3 * item.purchases);
  }
  return [...byCategory].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

function row(s: CustomerSummary, catalog: ReadonlyMap<string, CatalogItem>) {
  const open = s.rates.open;
  return [
    s.customerId,
    s.rfm?.segment ?? '',
    s.churnRisk,
    s.recencyDays,
    s.lifetime.lastSeen,
    s.windows.d90.purchaseDays,
    s.windows.d90.revenue.toFixed(2),
    s.lifetime.revenue.toFixed(2),
    s.rfm?.r ?? '',
    s.rfm?.f ?? '',
    s.rfm?.m ?? '',
    s.engagement,
    topCategory(s, catalog) ?? '',
    s.preferredChannel ?? '',
    s.bestSendTime?.hourUtc ?? '',
    s.bestSendTime ? WEEKDAY_NAMES[s.bestSendTime.weekday] : '',
    s.bestSendTime?.n ?? '',
    // No rate without deliveries: an empty cell, not 0.
    open.rate === null ? '' : open.rate.toFixed(4),
    open.trials,
  ];
}

/**
 * `customers.csv`: one row per known customer (the whole base), by id,
 * quoted and formula-escaped (`toCsv`). `catalog` names the top category.
 */
export function customersCsv(
  summaries: readonly CustomerSummary[],
  catalog: ReadonlyMap<string, CatalogItem> = new Map(),
): string {
  const rows = [...summaries]
    .sort((a, b) => a.customerId.localeCompare(b.customerId))
    .map((s) => row(s, catalog));
  return toCsv(CUSTOMER_CSV_COLUMNS, rows);
}

/**
 * The win-back list: customers in at_risk, hibernating or lost, highest
 * value first (lifetime revenue, then 90-day revenue, then id), in the
 * columns of {@link customersCsv}.
 */
export function winbackOf(summaries: readonly CustomerSummary[]): CustomerSummary[] {
  return summaries
    .filter((s) => s.rfm && WINBACK_SEGMENTS.has(s.rfm.segment))
    .sort(
      (a, b) =>
        b.lifetime.revenue - a.lifetime.revenue ||
        b.windows.d90.revenue - a.windows.d90.revenue ||
        a.customerId.localeCompare(b.customerId),
    );
}

/** `winback.csv`: {@link winbackOf} in the columns of {@link customersCsv}, in that order. */
export function winbackCsv(
  summaries: readonly CustomerSummary[],
  catalog: ReadonlyMap<string, CatalogItem> = new Map(),
): string {
  return toCsv(
    CUSTOMER_CSV_COLUMNS,
    winbackOf(summaries).map((s) => row(s, catalog)),
  );
}
