import type { S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { KEYS } from '../aws/resources.ts';
import { getJson, getText, putJson, putText } from '../aws/s3json.ts';
import { addDays, windowEndingAt } from '../days.ts';
import { dict } from '../dict.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import { EVENT_TYPES, type EventType } from '../events/schema.ts';
import type { ErasureStore } from '../privacy/erasures.ts';
import { validate } from '../validation.ts';
import { ATTRIBUTION_WINDOW_DAYS } from './attribution.ts';
import type { BaseCounts } from './base.ts';
import type { CampaignLearning } from './campaigns.ts';
import { parseCsv } from './csv.ts';
import { firstField, unescapeCell } from './csvLine.ts';
import type { DaySummary } from './partial.ts';
import { type Rate, SEGMENTS, type Segment, wilson } from './stats.ts';

/** Items listed in the report's top lists. */
export const REPORT_TOP_N = 10;

/** `reports/<date>/summary.json`: the night's insight in machine form. */
export interface DayReport {
  day: string;
  /** ISO 4217 code of every amount in the report (`MUSE_CURRENCY`). */
  currency: string;
  kpis: {
    events: number;
    activeCustomers: number;
    revenue: number;
    /**
     * Unique opens, clicks and conversions credited to the deliveries of the
     * attribution window ending the day (`base.messages`), per delivery:
     * responses so far, so the latest days' deliveries are still maturing.
     * `rate` null without deliveries.
     */
    openRate: Rate;
    clickRate: Rate;
    conversionRate: Rate;
  };
  /** Events per type (the funnel). */
  funnel: Partial<Record<EventType, number>>;
  /** Known customers per RFM segment: the whole base as of the day. */
  segments: Partial<Record<Segment, number>>;
  /** The whole base: size, segments, churn risk and movement since the day and the week before. */
  base: BaseCounts;
  /** Customers in the win-back list (`winback.csv`). */
  winback: number;
  /**
   * Parts `customers.csv` and `winback.csv` are stored in (one per scan
   * segment of the base, `reports/<day>/<list>/part-NNNN.csv`); absent in
   * reports written as one file each.
   */
  csvParts?: number;
  campaigns: CampaignLearning[];
  /** Copy of the variants in `campaigns`, where registered. */
  variantCopy: Record<string, string>;
  topItems: Array<{
    itemId: string;
    title?: string;
    views: number;
    carts: number;
    purchases: number;
  }>;
  /** Most co-visited item pairs of the day (recommendation signal). */
  coVisits: Array<{ a: string; b: string; count: number }>;
  /** A plain-English paragraph written only from the numbers above. */
  narrative: string;
}

/** What a report names besides the numbers: the currency, item titles, variant copy. */
export interface ReportContext {
  currency: string;
  titles: ReadonlyMap<string, string>;
  variantCopy: ReadonlyMap<string, string>;
}

const fmtPct = (rate: number) => `${(rate * 100).toFixed(1)} %`;

/**
 * The day's paragraph: deterministic sentences over the report's numbers
 * (the base, its movement, the funnel, the campaigns), nothing else.
 */
export function narrativeOf(report: Omit<DayReport, 'narrative'>): string {
  const { base, kpis } = report;
  const sentences: string[] = [];
  const atRisk = base.segments.at_risk ?? 0;
  const before = base.movement.day.segments.at_risk ?? 0;
  sentences.push(
    `${base.customers} known customers, ${kpis.activeCustomers} active on ${report.day}; revenue ${kpis.revenue.toFixed(2)} ${report.currency} from ${report.funnel.purchase ?? 0} purchases.`,
  );
  const change = atRisk - before;
  sentences.push(
    `${atRisk} customers are at risk (${change === 0 ? 'unchanged' : `${change > 0 ? '+' : ''}${change}`} since the day before); ${base.movement.day.enteredAtRisk} entered at risk and ${base.movement.week.cameBack} slipping customers came back within the week.`,
  );
  const slipping = report.winback;
  if (slipping > 0) sentences.push(`${slipping} customers are on the win-back list.`);
  if (kpis.clickRate.rate !== null) {
    sentences.push(
      `Messages delivered since ${base.messages.since}: ${kpis.clickRate.trials}, ${fmtPct(kpis.openRate.rate ?? 0)} opened and ${fmtPct(kpis.clickRate.rate)} clicked within ${ATTRIBUTION_WINDOW_DAYS} days so far.`,
    );
  }
  const winners = report.campaigns.filter((c) => c.winner);
  for (const c of winners) {
    const v = c.variants.find((x) => x.winner);
    if (v?.clickRate.rate != null) {
      sentences.push(
        `Campaign ${c.campaignId} has a winner: variant ${v.variantId} (click rate ${fmtPct(v.clickRate.rate)} over ${v.delivered} deliveries, P(best) ${(v.probabilityBest ?? 0).toFixed(2)}).`,
      );
    }
  }
  const open = report.campaigns.filter((c) => !c.winner && c.variants.length >= 2).length;
  if (open > 0) sentences.push(`${open} campaign${open === 1 ? ' has' : 's have'} no winner yet.`);
  return sentences.join(' ');
}

/** The day's top items (most purchased, then most viewed), as the report lists them. */
export function topItemsOf(
  day: Pick<DaySummary, 'items'>,
): Array<[string, DaySummary['items'][string]]> {
  return Object.entries(day.items)
    .sort(
      ([xi, x], [yi, y]) => y.purchases - x.purchases || y.views - x.views || xi.localeCompare(yi),
    )
    .slice(0, REPORT_TOP_N);
}

/**
 * Builds the day's report from the shards' merged summary, the assessed base and
 * the campaign learning. Deterministic: the same inputs give the same
 * report (no timestamps of the run), so a re-run rewrites identical objects.
 */
export function buildReport(
  day: string,
  summary: DaySummary,
  counts: BaseCounts,
  campaigns: CampaignLearning[],
  context: ReportContext,
): DayReport {
  const { funnel, revenueCents, activeCustomers: active } = summary;
  const { messages } = counts;
  const variantCopy = dict<string>();
  for (const c of campaigns) {
    for (const v of c.variants) {
      const copy = context.variantCopy.get(v.variantId);
      if (copy !== undefined) variantCopy[v.variantId] = copy;
    }
  }
  const report: Omit<DayReport, 'narrative'> = {
    day,
    currency: context.currency,
    kpis: {
      events: summary.events,
      activeCustomers: active,
      revenue: revenueCents / 100,
      openRate: wilson(messages.opens, messages.delivered),
      clickRate: wilson(messages.clicks, messages.delivered),
      conversionRate: wilson(messages.conversions, messages.delivered),
    },
    funnel: inOrder(EVENT_TYPES, funnel),
    segments: inOrder(SEGMENTS, counts.segments),
    base: {
      ...counts,
      segments: inOrder(SEGMENTS, counts.segments),
      movement: {
        day: {
          ...counts.movement.day,
          segments: inOrder(SEGMENTS, counts.movement.day.segments),
        },
        week: {
          ...counts.movement.week,
          segments: inOrder(SEGMENTS, counts.movement.week.segments),
        },
      },
    },
    winback: counts.winback,
    campaigns,
    variantCopy,
    topItems: topItemsOf(summary).map(([itemId, c]) => {
      const title = context.titles.get(itemId);
      return { itemId, ...(title === undefined ? {} : { title }), ...c };
    }),
    coVisits: Object.entries(summary.coVisits)
      .map(([pair, count]) => {
        const [a = '', b = ''] = pair.split('|');
        return { a, b, count };
      })
      .sort((x, y) => y.count - x.count || x.a.localeCompare(y.a) || x.b.localeCompare(y.b))
      .slice(0, REPORT_TOP_N),
  };
  return { ...report, narrative: narrativeOf(report) };
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
  winback: KEYS.reportWinback(day),
  html: KEYS.reportHtml(day),
});

/** The file of a day's report besides `summary.json` (the CSVs are written in parts, {@link ReportStore.putPart}). */
export interface ReportFiles {
  html: string;
}

/**
 * A day's per-customer CSV: `customers` (the whole base, by id within each
 * part) or `winback` (at_risk, hibernating and lost customers, highest
 * value first within each part).
 */
export type CustomerList = 'customers' | 'winback';
/** S3 key of the pointer to the latest report. */
export const LATEST_REPORT_KEY = KEYS.latestReport;

/** Where reports live. One S3 implementation ({@link S3ReportStore}). */
export interface ReportStore {
  /** Writes the summary and page, then moves `latest` forward (after every part is written). */
  put(report: DayReport, files: ReportFiles): Promise<void>;
  /** Writes one part of a list: a whole CSV (header included) of one scan segment's rows. */
  putPart(day: string, list: CustomerList, part: number, csv: string): Promise<void>;
  getSummary(day: string): Promise<DayReport | undefined>;
  /**
   * A day's list as text chunks whose concatenation is the CSV: the header
   * once, then each part's rows, one part in memory at a time. Undefined
   * when the day has no report.
   */
  getCsv(day: string, list: CustomerList): Promise<AsyncIterable<string> | undefined>;
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

  async put(report: DayReport, files: ReportFiles): Promise<void> {
    const keys = reportKeys(report.day);
    await putJson(this.s3, this.bucket, keys.summary, report);
    await putText(this.s3, this.bucket, keys.html, files.html, REPORT_TYPES.html);
    const latest = await this.latestDay();
    if (!latest || report.day >= latest)
      await putJson(this.s3, this.bucket, LATEST_REPORT_KEY, { day: report.day });
  }

  getSummary(day: string): Promise<DayReport | undefined> {
    return getJson<DayReport>(this.s3, this.bucket, reportKeys(day).summary);
  }

  putPart(day: string, list: CustomerList, part: number, csv: string): Promise<void> {
    return putText(this.s3, this.bucket, KEYS.reportPart(day, list, part), csv, REPORT_TYPES.csv);
  }

  async getCsv(day: string, list: CustomerList): Promise<AsyncIterable<string> | undefined> {
    const parts = (await this.getSummary(day))?.csvParts;
    if (parts === undefined) {
      // A report written before lists came in parts: one whole file.
      const whole = await getText(this.s3, this.bucket, reportKeys(day)[list]);
      return whole === undefined
        ? undefined
        : (async function* () {
            yield whole;
          })();
    }
    const { s3, bucket } = this;
    return (async function* () {
      for (let part = 0; part < parts; part++) {
        const text = await getText(s3, bucket, KEYS.reportPart(day, list, part));
        if (text === undefined) throw new Error(`${day}'s ${list}.csv has no part ${part}.`);
        // Every part starts with the header; the list has it once.
        yield part === 0 ? text : text.slice(text.indexOf('\n') + 1);
      }
    })();
  }

  getHtml(day: string): Promise<string | undefined> {
    return getText(this.s3, this.bucket, reportKeys(day).html);
  }

  async latestDay(): Promise<string | undefined> {
    return (await getJson<{ day: string }>(this.s3, this.bucket, LATEST_REPORT_KEY))?.day;
  }
}

/** A report as read: JSON summary, page, or the per-customer CSV as chunks. */
export type ServedReport =
  | { format: 'json'; body: DayReport }
  | { format: 'html'; body: string }
  | { format: 'csv'; chunks: AsyncIterable<string> };

/** A served response: a whole body, or (a customer list) chunks streamed as they are read. */
export type ServedBody =
  | { contentType: string; body: string }
  | { contentType: string; stream: AsyncIterable<string> };

/** Concatenates a list's chunks (for callers that want the whole text, such as tests and tools). */
export async function csvText(chunks: AsyncIterable<string> | Iterable<string>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) text += chunk;
  return text;
}

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
    if (format === 'csv') {
      const chunks = await reports.getCsv(day, 'customers');
      if (chunks !== undefined) return { format, chunks };
    } else if (format === 'html') {
      const body = await reports.getHtml(day);
      if (body !== undefined) return { format, body };
    } else {
      const body = await reports.getSummary(day);
      if (body) return { format, body };
    }
  }
  throw new NotFoundError(
    `No report for ${asked}: reports are written by the nightly job (locally: npm run job -- insights-nightly --date YYYY-MM-DD).`,
  );
}

/** One day of the report's trend charts. */
export interface TrendPoint {
  day: string;
  events: number;
  activeCustomers: number;
  /** Customers at risk that day (absent in reports older than the whole-base report). */
  atRisk?: number;
}

/** The engagement trend ending at `report`: earlier days from their stored reports. */
export async function trendFor(
  reports: ReportStore,
  report: DayReport,
  days: number,
): Promise<TrendPoint[]> {
  const earlier = windowEndingAt(addDays(report.day, -1), days - 1);
  const stored = await Promise.all(earlier.map((d) => reports.getSummary(d)));
  return [...stored.filter((r): r is DayReport => r !== undefined), report].map((r) => ({
    day: r.day,
    events: r.kpis.events,
    activeCustomers: r.kpis.activeCustomers,
    ...(r.base ? { atRisk: r.base.segments.at_risk ?? 0 } : {}),
  }));
}

/** A report day in a path: a UTC day or `latest`. */
export const ReportDay = z.union([
  z.literal('latest'),
  z.iso.date({ error: 'must be a UTC day (YYYY-MM-DD) or latest' }),
]);

/** What a report route reads of its request (the path's date, `?format=`, Accept). */
export interface ReportRequest {
  params: { date?: string | undefined };
  query: { get(name: string): string | null };
  headers: { accept?: string | undefined };
}

/** The route docs of a report route offering `formats` (for the API description). */
export function reportRouteDoc(summary: string, formats: [string, ...string[]]) {
  return {
    summary,
    params: { date: ReportDay },
    query: { format: { schema: z.enum(formats), description: 'Overrides the Accept header.' } },
    responses: { 200: `The ${formats.join(', ')} asked for.` },
    produces: formats.map((f) => (f === 'json' ? 'application/json' : `text/${f}`)),
  };
}

/** The report a `GET /reports/{date}` asks for, validated, in its format and content type. */
export async function serveReport(
  reports: ReportStore,
  erasures: Pick<ErasureStore, 'pending'>,
  request: ReportRequest,
): Promise<ServedBody> {
  const day = validate(ReportDay, request.params.date, 'date in the path');
  const format = reportFormat(request.query.get('format'), request.headers.accept);
  const served = await readReport(reports, day, format);
  if (served.format === 'json') {
    return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(served.body) };
  }
  if (served.format === 'html') return { contentType: REPORT_TYPES.html, body: served.body };
  return { contentType: REPORT_TYPES.csv, stream: withoutErased(served.chunks, erasures) };
}

/**
 * A customer CSV's chunks without the rows of customers whose erasure the
 * nightly job has not completed yet (they are never served). Each record is
 * one line (no field can hold a line break) and each chunk whole lines, so
 * lines are filtered as they are; the header (the first line) always stays.
 */
async function* withoutErased(
  chunks: AsyncIterable<string>,
  erasures: Pick<ErasureStore, 'pending'>,
): AsyncIterable<string> {
  const erased = new Set((await erasures.pending()).map((p) => p.customerId));
  let first = true;
  for await (const chunk of chunks) {
    if (erased.size === 0) {
      yield chunk;
      continue;
    }
    const lines = chunk.split('\n');
    yield lines
      .filter((line, i) => (first && i === 0) || !erased.has(unescapeCell(firstField(line))))
      .join('\n');
    first = false;
  }
}

/**
 * `GET /reports/{date}/winback`: the day's win-back list (at_risk,
 * hibernating and lost customers, highest value first) as CSV, or as JSON
 * `{ day, customers: [{ customerId, segment, … }] }` with the CSV's columns.
 */
export async function serveWinback(
  reports: ReportStore,
  erasures: Pick<ErasureStore, 'pending'>,
  request: ReportRequest,
): Promise<ServedBody> {
  const asked = validate(ReportDay, request.params.date, 'date in the path');
  const format = reportFormat(request.query.get('format'), request.headers.accept);
  if (format === 'html') {
    throw new ValidationError('The win-back list is offered as json or csv, not html.', {
      issues: [{ path: 'format', message: 'must be json or csv' }],
    });
  }
  const day = asked === 'latest' ? await reports.latestDay() : asked;
  const stored = day ? await reports.getCsv(day, 'winback') : undefined;
  if (!day || stored === undefined) {
    throw new NotFoundError(
      `No win-back list for ${asked}: the nightly job writes one with each report (locally: npm run job -- insights-nightly --date YYYY-MM-DD).`,
    );
  }
  const csv = withoutErased(stored, erasures);
  if (format === 'csv') return { contentType: REPORT_TYPES.csv, stream: csv };
  return { contentType: 'application/json; charset=utf-8', stream: winbackJson(day, csv) };
}

/** The win-back CSV's chunks as the JSON `{ day, customers: [...] }`, streamed a part at a time. */
async function* winbackJson(day: string, csv: AsyncIterable<string>): AsyncIterable<string> {
  yield `{"day":${JSON.stringify(day)},"customers":[`;
  let header: string[] | undefined;
  let first = true;
  for await (const chunk of csv) {
    const rows = parseCsv(chunk);
    if (!header) header = rows.shift() ?? [];
    const columns = header;
    const objects = rows.map((row) =>
      JSON.stringify(
        Object.fromEntries(columns.map((column, i) => [column, unescapeCell(row[i] ?? '')])),
      ),
    );
    if (objects.length === 0) continue;
    yield `${first ? '' : ','}${objects.join(',')}`;
    first = false;
  }
  yield ']}';
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
