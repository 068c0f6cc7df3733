import { describe, expect, it } from 'vitest';
import { assessBase, emptyBase } from '#lib/insights/base.ts';
import { learnCampaigns } from '#lib/insights/campaigns.ts';
import { mapEvents, summarizePartial } from '#lib/insights/partial.ts';
import { applyDay } from '#lib/insights/profiles.ts';
import { buildReport } from '#lib/insights/report.ts';
import { renderReportHtml } from '#lib/insights/reportHtml.ts';

const day = '2026-11-22';
const partial = mapEvents([
  {
    eventId: 'e1',
    customerId: 'c<1>',
    type: 'delivered',
    ts: `${day}T09:00:00Z`,
    campaignId: 'camp',
    variantId: 'camp-a',
  },
  {
    eventId: 'e2',
    customerId: 'c<1>',
    type: 'open',
    ts: `${day}T10:00:00Z`,
    campaignId: 'camp',
    variantId: 'camp-a',
  },
  { eventId: 'e3', customerId: 'c2', type: 'view', ts: `${day}T11:00:00Z`, itemId: '<b>x</b>' },
]);
const context = {
  currency: 'EUR',
  titles: new Map([['<b>x</b>', 'Ridge <Tent>']]),
  variantCopy: new Map([['camp-a', 'Hello <there>']]),
};
async function* pagesOf<T>(items: T[]) {
  yield items;
}
const base = await assessBase(
  () =>
    pagesOf(Object.entries(partial.customers).map(([id, c]) => applyDay(undefined, id, day, c))),
  day,
);
const report = buildReport(
  day,
  summarizePartial(partial),
  base.counts,
  learnCampaigns(partial.variants),
  context,
);

describe('report.html', () => {
  it('is one self-contained page with server-rendered SVG charts (one per campaign) and no scripts or external requests', async () => {
    const html = await renderReportHtml(report, [
      { day, events: 3, activeCustomers: 2, atRisk: 0 },
    ]);

    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).not.toMatch(/<script|<link|<img|src=|@import/i);
    expect(html.replace(/xmlns(:xlink)?="[^"]+"/g, '')).not.toMatch(/https?:\/\//);
  });

  it('escapes ids that come from clients', async () => {
    const html = await renderReportHtml(report, []);

    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('Ridge &lt;Tent&gt;');
    expect(html).toContain('Hello &lt;there&gt;');
  });

  it('shows — for a rate with no sample, P(best) only for two or more variants, and the currency', async () => {
    const html = await renderReportHtml(report, []);

    expect(report.kpis.openRate).toMatchObject({ successes: 1, trials: 1, rate: 1 });
    expect(report.kpis.conversionRate).toMatchObject({ trials: 1, rate: 0 });
    expect(report.campaigns[0]?.variants[0]?.probabilityBest).toBeUndefined();
    expect(html).toMatch(/one variant, nothing to compare/);
    expect(html).toMatch(/<td>0 EUR|0\.00 EUR/);
    const quiet = buildReport(
      day,
      summarizePartial(mapEvents([])),
      emptyBase(day).counts,
      [],
      context,
    );
    const page = await renderReportHtml(quiet, []);
    expect(quiet.kpis.openRate.rate).toBeNull();
    expect(page).toMatch(/Open rate<\/div><div class="value">—/);
    expect(page).not.toMatch(/0\.0 %/);
  });

  it('writes the paragraph from the numbers only', () => {
    expect(report.narrative).toBe(
      '2 known customers, 2 active on 2026-11-22; revenue 0.00 EUR from 0 purchases. 0 customers are at risk (unchanged since the day before); 0 entered at risk and 0 slipping customers came back within the week. Messages delivered since 2026-11-16: 1, 100.0 % opened and 0.0 % clicked within 7 days so far.',
    );
  });
});
