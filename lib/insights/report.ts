import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { KEYS } from '../aws/resources.ts';
import { getJson, getText, putJson, putText } from '../aws/s3json.ts';
import { addDays, windowEndingAt } from '../days.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { EVENT_TYPES, type EventType } from '../events/schema.ts';
import type { ErasureStore } from '../privacy/erasures.ts';
import { validate } from '../validation.ts';
import type { CampaignLearning } from './campaigns.ts';
import { firstField, unescapeCell } from './csvLine.ts';
import type { DayPartial } from './partial.ts';
import type { CustomerSummary } from './profiles.ts';
import { type Rate, SEGMENTS, type Segment, wilson } from './stats.ts';

/** Items listed in the report's top lists. */
export const REPORT_TOP_N = 10;

/** `reports/<date>/summary.json`: the night's insight in machine form. */
export interface DayReport {
  day: string;
  kpis: {
    events: number;
    activeCustomers: number;
    revenue: number;
    openRate: Rate;
    clickRate: Rate;
    /** purchases / views. */
    conversionRate: Rate;
  };
  /** Events per type (the funnel). */
  funnel: Partial<Record<EventType, number>>;
  /** Active customers per RFM segment. */
  segments: Partial<Record<Segment, number>>;
  campaigns: CampaignLearning[];
  topItems: Array<{ itemId: string; views: number; carts: number; purchases: number }>;
  /** Most co-visited item pairs of the day (recommendation signal). */
  coVisits: Array<{ a: string; b: string; count: number }>;
}

/**
 * Builds the day's report from the merged partial, the summaries and the
 * campaign learning. Deterministic: the same inputs give the same report
 * (no timestamps of the run), so a re-run rewrites identical objects.
 */
export function buildReport(
  day: string,
  partial: DayPartial,
  summaries: readonly CustomerSummary[],
  campaigns: CampaignLearning[],
): DayReport {
  const funnel: Partial<Record<EventType, number>> = {};
  let revenueCents = 0;
  for (const c of Object.values(partial.customers)) {
    for (const [type, n] of Object.entries(c.counts) as Array<[EventType, number]>) {
      funnel[type] = (funnel[type] ?? 0) + n;
    }
    revenueCents += c.revenueCents;
  }
  const segments: Partial<Record<Segment, number>> = {};
  for (const s of summaries) {
    if (s.rfm) segments[s.rfm.segment] = (segments[s.rfm.segment] ?? 0) + 1;
  }
  const delivered = funnel.delivered ?? 0;
  return {
    day,
    kpis: {
      events: partial.events,
      activeCustomers: summaries.length,
      revenue: revenueCents / 100,
      openRate: wilson(funnel.open ?? 0, delivered),
      clickRate: wilson(funnel.click ?? 0, delivered),
      conversionRate: wilson(funnel.purchase ?? 0, funnel.view ?? 0),
    },
    funnel: inOrder(EVENT_TYPES, funnel),
    segments: inOrder(SEGMENTS, segments),
    campaigns,
    topItems: Object.entries(partial.items)
      .map(([itemId, c]) => ({ itemId, ...c }))
      .sort(
        (x, y) =>
          y.purchases - x.purchases || y.views - x.views || x.itemId.localeCompare(y.itemId),
      )
      .slice(0, REPORT_TOP_N),
    coVisits: Object.entries(partial.coVisits)
      .map(([pair, count]) => {
        const [a = '', b = ''] = pair.split('|');
        return { a, b, count };
      })
      .sort((x, y) => y.count - x.count || x.a.localeCompare(y.a) || x.b.localeCompare(y.b))
      .slice(0, REPORT_TOP_N),
  };
}

/**
 * The record's entries in the given key order: shard partials merge in
 * completion order, so insertion order is not stable across runs, and the
 * report must be byte-identical on a re-run.
 */
function inOrder<K extends string>(
  keys: readonly K[],
  record: Partial<Record<K, number>>,
): Partial<Record<K, number>> {
  const ordered: Partial<Record<K, number>> = {};
  for (const key of keys) if (record[key] !== undefined) ordered[key] = record[key];
  return ordered;
}

/** S3 keys of a day's report. */
export const reportKeys = (day: string) => ({
  summary: KEYS.reportSummary(day),
  customers: KEYS.reportCustomers(day),
  html: KEYS.reportHtml(day),
});
/** S3 key of the pointer to the latest report. */
export const LATEST_REPORT_KEY = KEYS.latestReport;

/** Where reports live. One S3 implementation ({@link S3ReportStore}). */
export interface ReportStore {
  put(report: DayReport, customersCsv: string, html: string): Promise<void>;
  getSummary(day: string): Promise<DayReport | undefined>;
  getCustomersCsv(day: string): Promise<string | undefined>;
  getHtml(day: string): Promise<string | undefined>;
  /** The day of the latest report written. */
  latestDay(): Promise<string | undefined>;
}

/**
 * {@link ReportStore} on the reports bucket: `reports/<date>/summary.json`,
 * `reports/<date>/customers.csv` and `reports/latest.json` (moved forward
 * only, so re-running an old day does not make it "latest").
 */
export class S3ReportStore implements ReportStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(report: DayReport, csv: string, html: string): Promise<void> {
    const keys = reportKeys(report.day);
    await putJson(this.s3, this.bucket, keys.summary, report);
    await putText(this.s3, this.bucket, keys.html, html, REPORT_TYPES.html);
    await putText(this.s3, this.bucket, keys.customers, csv, REPORT_TYPES.csv);
    const latest = await this.latestDay();
    if (!latest || report.day >= latest)
      await putJson(this.s3, this.bucket, LATEST_REPORT_KEY, { day: report.day });
  }

  getSummary(day: string): Promise<DayReport | undefined> {
    return getJson<DayReport>(this.s3, this.bucket, reportKeys(day).summary);
  }

  getCustomersCsv(day: string): Promise<string | undefined> {
    return getText(this.s3, this.bucket, reportKeys(day).customers);
  }

  getHtml(day: string): Promise<string | undefined> {
    return getText(this.s3, this.bucket, reportKeys(day).html);
  }

  async latestDay(): Promise<string | undefined> {
    return (await getJson<{ day: string }>(this.s3, this.bucket, LATEST_REPORT_KEY))?.day;
  }
}

/** A report as served: JSON summary or per-customer CSV. */
export type ServedReport =
  | { format: 'json'; body: DayReport }
  | { format: 'csv' | 'html'; body: string };

/**
 * The report for `day` (`latest` resolves through the pointer) in the asked
 * format; a 404 that says how reports are made when there is none.
 *
 * @example
 * ```ts
 * const served = await readReport(reports, 'latest', 'csv');
 * ```
 */
export async function readReport(
  reports: ReportStore,
  asked: string,
  format: ServedReport['format'],
): Promise<ServedReport> {
  const day = asked === 'latest' ? await reports.latestDay() : asked;
  if (day) {
    if (format !== 'json') {
      const body = await (format === 'csv' ? reports.getCustomersCsv(day) : reports.getHtml(day));
      if (body !== undefined) return { format, body };
    } else {
      const body = await reports.getSummary(day);
      if (body) return { format, body };
    }
  }
  throw new NotFoundError(
    `No report for ${asked}: reports are written by the nightly job (locally: npm run insights -- --date YYYY-MM-DD).`,
  );
}

/** The engagement trend ending at `report`: earlier days from their stored reports. */
export async function trendFor(
  reports: ReportStore,
  report: DayReport,
  days: number,
): Promise<Array<{ day: string; events: number; activeCustomers: number }>> {
  const earlier = windowEndingAt(addDays(report.day, -1), days - 1);
  const stored = await Promise.all(earlier.map((d) => reports.getSummary(d)));
  return [...stored.filter((r): r is DayReport => r !== undefined), report].map((r) => ({
    day: r.day,
    events: r.kpis.events,
    activeCustomers: r.kpis.activeCustomers,
  }));
}

/** A report day in a path: a UTC day or `latest`. */
export const ReportDay = z.union([
  z.literal('latest'),
  z.iso.date({ error: 'must be a UTC day (YYYY-MM-DD) or latest' }),
]);

/** The report a `GET /reports/{date}` asks for, validated, in its format and content type. */
export async function serveReport(
  reports: ReportStore,
  erasures: Pick<ErasureStore, 'pending'>,
  request: { day: string; format: string | null; accept: string | undefined },
): Promise<{ contentType: string; body: string }> {
  const day = validate(ReportDay, request.day, 'date in the path');
  const served = await readReport(reports, day, reportFormat(request.format, request.accept));
  if (served.format === 'json') {
    return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(served.body) };
  }
  if (served.format === 'html') return { contentType: REPORT_TYPES.html, body: served.body };
  // Rows of customers whose erasure the nightly job has not completed yet are never served.
  // Each record is one line (no field can hold a line break), so lines are filtered as they are.
  const erased = new Set((await erasures.pending()).map((p) => p.customerId));
  const body =
    erased.size === 0
      ? served.body
      : served.body
          .split('\n')
          .filter((line, i) => i === 0 || !erased.has(unescapeCell(firstField(line))))
          .join('\n');
  return { contentType: REPORT_TYPES.csv, body };
}

/** Content types of the non-JSON report formats. */
export const REPORT_TYPES = {
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

/** The report format a request asks for: `?format=`, else the Accept header, else JSON. */
export function reportFormat(
  format: string | null,
  accept: string | undefined,
): ServedReport['format'] {
  if (format === 'csv' || format === 'html' || format === 'json') return format;
  if (format !== null) {
    throw new ValidationError(`format=${format} is not offered; use json, csv or html.`, {
      issues: [{ path: 'format', message: 'must be json, csv or html' }],
    });
  }
  if (/\btext\/html\b/.test(accept ?? '')) return 'html';
  if (/\btext\/csv\b/.test(accept ?? '')) return 'csv';
  return 'json';
}
