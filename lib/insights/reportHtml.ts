import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { DayReport } from './report.ts';
import { SEGMENTS } from './stats.ts';

/** One day of the engagement trend. */
export interface TrendPoint {
  day: string;
  events: number;
  activeCustomers: number;
}

/** Days of history the trend chart shows. */
export const TREND_DAYS = 30;

const FUNNEL = ['delivered', 'open', 'click', 'view', 'add_to_cart', 'purchase'] as const;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Renders a vega-lite spec to an SVG string, server-side (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const base = { width: 520, height: 220, config: { font: 'Helvetica, Arial, sans-serif' } } as const;

/**
 * `report.html`: a self-contained page (inline CSS and SVG charts rendered
 * with vega-lite on the server, no scripts, no external requests): headline
 * KPIs, the daily engagement trend, the funnel, the segment distribution,
 * campaign variants with 95 % intervals and winners, and the top items.
 *
 * @example
 * ```ts
 * const html = await renderReportHtml(report, trend);
 * ```
 */
export async function renderReportHtml(
  report: DayReport,
  trend: readonly TrendPoint[],
): Promise<string> {
  const variants = report.campaigns.flatMap((c) =>
    c.variants.map((v) => ({
      variant: v.variantId,
      ctr: v.clickRate.rate,
      low: v.clickRate.low,
      high: v.clickRate.high,
    })),
  );
  const [trendSvg, funnelSvg, segmentSvg, variantSvg] = await Promise.all([
    renderSvg({
      ...base,
      title: 'Daily engagement',
      data: { values: trend.map((t) => ({ ...t })) },
      transform: [{ fold: ['events', 'activeCustomers'], as: ['measure', 'value'] }],
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'day', type: 'temporal', title: null },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'measure', type: 'nominal', title: null },
      },
    }),
    renderSvg({
      ...base,
      title: 'Funnel',
      data: {
        values: FUNNEL.map((step, i) => ({ step, order: i, count: report.funnel[step] ?? 0 })),
      },
      mark: 'bar',
      encoding: {
        y: { field: 'step', type: 'nominal', sort: { field: 'order' }, title: null },
        x: { field: 'count', type: 'quantitative', title: 'events' },
      },
    }),
    renderSvg({
      ...base,
      title: 'Active customers by RFM segment',
      data: {
        values: SEGMENTS.map((segment) => ({ segment, customers: report.segments[segment] ?? 0 })),
      },
      mark: 'bar',
      encoding: {
        x: { field: 'segment', type: 'nominal', sort: [...SEGMENTS], title: null },
        y: { field: 'customers', type: 'quantitative', title: 'customers' },
      },
    }),
    variants.length === 0
      ? Promise.resolve('<p class="muted">No campaign activity.</p>')
      : renderSvg({
          ...base,
          title: 'Click rate per variant (95 % interval)',
          data: { values: variants },
          layer: [
            {
              mark: 'rule',
              encoding: {
                y: { field: 'variant', type: 'nominal', title: null },
                x: {
                  field: 'low',
                  type: 'quantitative',
                  title: 'clicks per delivery',
                  axis: { format: '%' },
                },
                x2: { field: 'high' },
              },
            },
            {
              mark: { type: 'point', filled: true, size: 60 },
              encoding: {
                y: { field: 'variant', type: 'nominal' },
                x: { field: 'ctr', type: 'quantitative' },
              },
            },
          ],
        }),
  ]);
  const k = report.kpis;
  const kpi = (label: string, value: string, note = '') =>
    `<div class="kpi"><div class="label">${label}</div><div class="value">${value}</div><div class="muted">${note}</div></div>`;
  const campaignRows = report.campaigns
    .flatMap((c) =>
      c.variants.map(
        (v) =>
          `<tr${v.winner ? ' class="winner"' : ''}><td>${escapeHtml(c.campaignId)}</td><td>${escapeHtml(v.variantId)}</td><td>${v.delivered}</td>` +
          `<td>${pct(v.openRate.rate)}</td><td>${pct(v.clickRate.rate)} <span class="muted">[${pct(v.clickRate.low)}, ${pct(v.clickRate.high)}]</span></td>` +
          `<td>${v.conversions}</td><td>${v.probabilityBest.toFixed(2)}</td><td>${v.winner ? 'winner' : ''}</td></tr>`,
      ),
    )
    .join('');
  const itemRows = report.topItems
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.itemId)}</td><td>${i.views}</td><td>${i.carts}</td><td>${i.purchases}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Muse report ${escapeHtml(report.day)}</title>
<style>
body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1120px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
.kpis{display:flex;gap:16px;flex-wrap:wrap}.kpi{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.label{font-size:12px;color:#666}.value{font-size:22px;font-weight:bold}.muted{color:#888;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:24px}table{border-collapse:collapse;font-size:13px}
td,th{border-bottom:1px solid #eee;padding:4px 10px;text-align:left}tr.winner{background:#eef8ee}
</style></head><body>
<h1>Muse nightly report — ${escapeHtml(report.day)} (UTC)</h1>
<div class="kpis">
${kpi('Events', String(k.events))}
${kpi('Active customers', String(k.activeCustomers))}
${kpi('Revenue', k.revenue.toFixed(2))}
${kpi('Open rate', pct(k.openRate.rate), `n = ${k.openRate.trials} delivered`)}
${kpi('Click rate', pct(k.clickRate.rate), `n = ${k.clickRate.trials} delivered`)}
${kpi('Conversion', pct(k.conversionRate.rate), `n = ${k.conversionRate.trials} views`)}
</div>
<div class="charts">${trendSvg}${funnelSvg}${segmentSvg}${variantSvg}</div>
<h2>Campaigns and variants</h2>
<table><tr><th>campaign</th><th>variant</th><th>delivered</th><th>open rate</th><th>click rate [95 %]</th><th>conversions</th><th>P(best)</th><th></th></tr>${campaignRows}</table>
<p class="muted">A winner is declared only at ≥ 95 % probability of the best click rate with ≥ 300 deliveries per variant.</p>
<h2>Top items</h2>
<table><tr><th>item</th><th>views</th><th>carts</th><th>purchases</th></tr>${itemRows}</table>
</body></html>
`;
}
