import { describe, expect, it } from 'vitest';
import { learnCampaigns } from '#lib/insights/campaigns.ts';
import { mapEvents } from '#lib/insights/partial.ts';
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
const report = buildReport(day, partial, [], learnCampaigns(partial.variants));

describe('report.html', () => {
  it('is one self-contained page with four server-rendered SVG charts and no scripts or external requests', async () => {
    const html = await renderReportHtml(report, [{ day, events: 3, activeCustomers: 2 }]);

    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).not.toMatch(/<script|<link|<img|src=|@import/i);
    expect(html.replace(/xmlns(:xlink)?="[^"]+"/g, '')).not.toMatch(/https?:\/\//);
  });

  it('escapes ids that come from clients', async () => {
    const html = await renderReportHtml(report, []);

    expect(html).toContain('&lt;b&gt;x&lt;/b&gt;');
    expect(html).not.toContain('<b>x</b>');
  });
});
