import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { ATTRIBUTION_WINDOW_DAYS } from './attribution.ts';
import type { DayReport, TrendPoint } from './report.ts';
import { SEGMENTS } from './stats.ts';

/** Days of history the trend charts show. */
export const TREND_DAYS = 30;

const FUNNEL = ['delivered', 'open', 'click', 'view', 'add_to_cart', 'purchase'] as const;

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
/** A share for people: one decimal, and — where there is no rate (n = 0). */
export const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);

/** Renders a vega-lite spec to an SVG string, server-side (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const chart = {
  width: 500,
  height: 200,
  config: { font: 'Helvetica, Arial, sans-serif' },
} as const;

/** One campaign's click rates per variant with 95 % intervals (rounded to 0.1 %), axis fitted to the data. */
function variantChart(campaign: DayReport['campaigns'][number]): Promise<string> {
  const rows = campaign.variants.map((v) => ({
    variant: v.variantId,
    ctr: v.clickRate.rate === null ? null : Math.round(v.clickRate.rate * 1000) / 1000,
    low: Math.round(v.clickRate.low * 1000) / 1000,
    high: Math.round(v.clickRate.high * 1000) / 1000,
    n: v.delivered,
  }));
  return renderSvg({
    width: 400,
    height: 28 * rows.length,
    config: chart.config,
    title: `${campaign.campaignId}: click rate per variant (95 % interval)`,
    data: { values: rows },
    layer: [
      {
        mark: 'rule',
        encoding: {
          y: { field: 'variant', type: 'nominal', title: null },
          x: {
            field: 'low',
            type: 'quantitative',
            title: 'clicks per delivery',
            axis: { format: '.1%' },
          },
          x2: { field: 'high' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          y: { field: 'variant', type: 'nominal' },
          x: { field: 'ctr', type: 'quantitative' },
          tooltip: [{ field: 'n', title: 'delivered' }],
        },
      },
    ],
  });
}

/**
 * `report.html`: a self-contained page (inline CSS and SVG charts rendered
 * with vega-lite on the server, no scripts, no external requests), readable
 * at 1,200 px: the day's paragraph, headline KPIs (— where a rate has no
 * sample), the 30-day trends of engagement and of the at-risk count, the
 * funnel, the whole base by segment with its movement, one variant chart per
 * campaign with the variants' copy, and the top items by title.
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
  const compared = report.campaigns.filter((c) => c.variants.length > 0);
  const [trendSvg, riskSvg, funnelSvg, segmentSvg, ...variantSvgs] = await Promise.all([
    renderSvg({
      ...chart,
      title: 'Daily engagement',
      data: {
        values: trend.map((t) => ({ day: t.day, events: t.events, active: t.activeCustomers })),
      },
      transform: [{ fold: ['events', 'active'], as: ['measure', 'value'] }],
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'day', type: 'temporal', title: null },
        y: { field: 'value', type: 'quantitative', title: null },
        color: { field: 'measure', type: 'nominal', title: null },
      },
    }),
    renderSvg({
      ...chart,
      title: 'Customers at risk (30 days)',
      data: { values: trend.filter((t) => t.atRisk !== undefined).map((t) => ({ ...t })) },
      mark: { type: 'line', point: true, color: '#c0392b' },
      encoding: {
        x: { field: 'day', type: 'temporal', title: null },
        y: { field: 'atRisk', type: 'quantitative', title: 'customers', axis: { tickMinStep: 1 } },
      },
    }),
    renderSvg({
      ...chart,
      title: 'Funnel (events of the day)',
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
      ...chart,
      title: `All ${report.base.customers} known customers by RFM segment`,
      data: {
        values: SEGMENTS.map((segment) => ({
          segment,
          customers: report.base.segments[segment] ?? 0,
        })),
      },
      mark: 'bar',
      encoding: {
        x: { field: 'segment', type: 'nominal', sort: [...SEGMENTS], title: null },
        y: {
          field: 'customers',
          type: 'quantitative',
          title: 'customers',
          axis: { tickMinStep: 1 },
        },
      },
    }),
    ...compared.map(variantChart),
  ]);
  const k = report.kpis;
  const money = (x: number) => `${x.toFixed(2)} ${escapeHtml(report.currency)}`;
  const kpi = (label: string, value: string, note = '') =>
    `<div class="kpi"><div class="label">${label}</div><div class="value">${value}</div><div class="muted">${note}</div></div>`;
  const rate = (r: DayReport['kpis']['openRate'], unit: string) =>
    r.rate === null ? `no ${unit}` : `n = ${r.trials} ${unit}`;
  const delivered = `delivered since ${escapeHtml(report.base.messages.since)}`;
  const campaignBlocks = compared
    .map((c, i) => {
      const rows = c.variants
        .map((v) => {
          const copy = report.variantCopy[v.variantId];
          return (
            `<tr${v.winner ? ' class="winner"' : ''}><td>${escapeHtml(v.variantId)}</td><td>${copy === undefined ? '<span class="muted">not registered</span>' : escapeHtml(copy)}</td><td>${v.delivered}</td>` +
            `<td>${pct(v.openRate.rate)}</td><td>${pct(v.clickRate.rate)} <span class="muted">[${pct(v.clickRate.low)}, ${pct(v.clickRate.high)}]</span></td>` +
            `<td>${v.conversions}</td><td>${v.probabilityBest === undefined ? '—' : v.probabilityBest.toFixed(2)}</td><td>${v.winner ? 'winner' : ''}</td></tr>`
          );
        })
        .join('');
      return `<h3>${escapeHtml(c.campaignId)}${c.winner ? ` — winner ${escapeHtml(c.winner)}` : c.variants.length < 2 ? ' — one variant, nothing to compare' : ' — no winner yet'}</h3>
<div class="campaign">${variantSvgs[i] ?? ''}<table><tr><th>variant</th><th>copy</th><th>delivered</th><th>open rate</th><th>click rate [95 %]</th><th>conversions</th><th>P(best)</th><th></th></tr>${rows}</table></div>`;
    })
    .join('\n');
  const itemRows = report.topItems
    .map(
      (i) =>
        `<tr><td>${escapeHtml(i.title ?? i.itemId)}</td><td class="muted">${escapeHtml(i.itemId)}</td><td>${i.views}</td><td>${i.carts}</td><td>${i.purchases}</td></tr>`,
    )
    .join('');
  const moveRow = (label: string, m: DayReport['base']['movement']['day']) =>
    `<tr><td>${label} (${escapeHtml(m.since)})</td><td>${m.segments.at_risk ?? 0}</td><td>${m.enteredAtRisk}</td><td>${m.cameBack}</td></tr>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Muse report ${escapeHtml(report.day)}</title>
<style>
body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;color:#222;max-width:1140px;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}h3{font-size:15px;margin:18px 0 6px}
.narrative{font-size:15px;line-height:1.5;background:#f6f8fa;border-radius:6px;padding:12px 16px}
.kpis{display:flex;gap:16px;flex-wrap:wrap}.kpi{border:1px solid #ddd;border-radius:6px;padding:10px 14px;min-width:150px}
.label{font-size:12px;color:#666}.value{font-size:22px;font-weight:bold}.muted{color:#888;font-size:12px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:24px}.charts svg{max-width:100%;height:auto}
.campaign{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}table{border-collapse:collapse;font-size:13px}
td,th{border-bottom:1px solid #eee;padding:4px 10px;text-align:left}tr.winner{background:#eef8ee}
</style></head><body>
<h1>Muse nightly report — ${escapeHtml(report.day)} (UTC)</h1>
<p class="narrative">${escapeHtml(report.narrative)}</p>
<div class="kpis">
${kpi('Known customers', String(report.base.customers))}
${kpi('Active customers', String(k.activeCustomers))}
${kpi('Events', String(k.events))}
${kpi('Revenue', money(k.revenue))}
${kpi('Open rate', pct(k.openRate.rate), rate(k.openRate, delivered))}
${kpi('Click rate', pct(k.clickRate.rate), rate(k.clickRate, delivered))}
${kpi('Conversion', pct(k.conversionRate.rate), rate(k.conversionRate, delivered))}
${kpi('Win-back list', String(report.winback), 'at risk, hibernating, lost')}
</div>
<div class="charts">${trendSvg}${riskSvg}${segmentSvg}${funnelSvg}</div>
<h2>Movement of the base</h2>
<table><tr><th>compared with</th><th>at risk then</th><th>entered at risk</th><th>came back</th></tr>
${moveRow('the day before', report.base.movement.day)}${moveRow('the week before', report.base.movement.week)}</table>
<p class="muted">Churn risk now: ${(['low', 'medium', 'high'] as const).map((r) => `${r} ${report.base.churnRisk[r] ?? 0}`).join(', ')}. Segments and churn risk cover every known customer, active today or not.</p>
<h2>Campaigns and variants</h2>
${campaignBlocks || '<p class="muted">No campaign activity.</p>'}
<p class="muted">Opens, clicks and conversions count for a delivery of the same campaign variant to the same customer made at most ${ATTRIBUTION_WINDOW_DAYS} days before them, once per delivery; the rates above cover the deliveries since ${escapeHtml(report.base.messages.since)}, with their responses so far. A winner is declared only at ≥ 95 % probability of the best click rate with ≥ 300 deliveries per variant; P(best) needs at least two variants.</p>
<h2>Top items of the day</h2>
<table><tr><th>item</th><th>id</th><th>views</th><th>carts</th><th>purchases</th></tr>${itemRows}</table>
</body></html>
`;
}
