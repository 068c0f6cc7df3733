import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { DynamoCatalogStore, writeCatalog } from '#lib/catalog/store.ts';
import { DynamoVariantStore } from '#lib/copy/variants.ts';
import { ingestEntries } from '#lib/events/ingest.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { assessBase } from '#lib/insights/base.ts';
import { DynamoCampaignStore } from '#lib/insights/campaignStore.ts';
import { S3ShardStore } from '#lib/insights/mapDay.ts';
import { runNightly } from '#lib/insights/nightly.ts';
import { DynamoProfileStore } from '#lib/insights/profileStore.ts';
import { csvText, S3ReportStore } from '#lib/insights/report.ts';
import { s3Compactor } from '#lib/insights/reportsEraser.ts';
import { S3SignalStore } from '#lib/insights/signals.ts';
import { eraseCustomer, eventsEraser, profileEraser } from '#lib/privacy/eraseCustomer.ts';
import { DynamoErasureStore } from '#lib/privacy/erasures.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { testClients, testConfig } from '#test/support/clients.ts';
import { ownAppTable } from '#test/support/ownTables.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';

// Days no other test file writes, so this file owns all their shards.
const DAYS = ['2025-03-10', '2025-03-11'];
const options: SeedOptions = {
  customers: 60,
  days: 2,
  events: 2000,
  seed: 21,
  end: new Date('2025-03-12T00:00:00Z'),
};
const clock = { now: new Date('2025-03-12T06:00:00Z'), retentionDays: 3650 };
const events = [...demoEvents(buildWorld(options), options)].map((e) => ({
  ...e,
  customerId: `nightly-${e.customerId}`,
}));

/** 6,000 conditional re-sends plus two nightly runs, on 2 cores. */
const REPLAY_TIMEOUT_MS = 120_000;

let deps: Parameters<typeof runNightly>[0];
let bridge: Bridge;
let profiles: DynamoProfileStore;
let run = 0;
const nextRun = () => `run-${++run}`;

beforeAll(async () => {
  await ownAppTable('nightly');
  const doc = documentClient();
  const cfg = testConfig();
  profiles = new DynamoProfileStore(doc, cfg.appTable);
  deps = {
    events: new DynamoEventStore(doc, cfg.eventsTable),
    shards: new S3ShardStore(testClients().s3, cfg.reportsBucket),
    profiles,
    campaigns: new DynamoCampaignStore(doc, cfg.appTable),
    reports: new S3ReportStore(testClients().s3, cfg.reportsBucket),
    signals: new S3SignalStore(testClients().s3, cfg.reportsBucket),
    catalog: new DynamoCatalogStore(doc, cfg.appTable),
    variants: new DynamoVariantStore(doc, cfg.appTable),
    erasures: new DynamoErasureStore(doc, cfg.appTable),
    compactor: s3Compactor(testClients().s3, cfg.reportsBucket),
    currency: 'EUR',
  };
  await writeCatalog(deps.catalog as DynamoCatalogStore, buildWorld(options).catalog);
  for (let i = 0; i < events.length; i += 500)
    await ingestEntries(deps.events, events.slice(i, i + 500), clock);
  bridge = await startBridge({
    port: 0,
    functions: { insights: () => import('#functions/insights.ts') },
  });
});
afterAll(async () => {
  await bridge?.close();
});

const summariesOf = async (ids: string[]) => Promise.all(ids.map((id) => profiles.getSummary(id)));

describe('nightly insights job on dynalite + s3rver', () => {
  it('updates every active customer and gives identical profiles when a day is run twice', async () => {
    const day1 = await runNightly(deps, DAYS[0] as string, nextRun());
    const day2 = await runNightly(deps, DAYS[1] as string, nextRun());
    const ids = [...new Set(events.map((e) => e.customerId))].sort();
    const before = await summariesOf(ids);

    const again = await runNightly(deps, DAYS[1] as string, nextRun());

    expect(day1.events + day2.events).toBe(events.length);
    expect(again.base).toEqual(day2.base);
    expect(again.signals).toEqual(day2.signals);
    expect(await summariesOf(ids)).toEqual(before);
    const someone = before.find((s) => s?.windows.d7.activeDays === 2);
    expect(someone?.text).toMatch(/^Active on 2 of the last 30 days/);
  });

  it(
    'leaves the insights unchanged when the same events are sent 3 more times',
    async () => {
      await runNightly(deps, DAYS[1] as string, nextRun());
      const ids = [...new Set(events.map((e) => e.customerId))].sort();
      const before = await summariesOf(ids);

      for (let replay = 0; replay < 3; replay++) {
        for (let i = 0; i < events.length; i += 500)
          await ingestEntries(deps.events, events.slice(i, i + 500), clock);
      }
      await runNightly(deps, DAYS[0] as string, nextRun());
      await runNightly(deps, DAYS[1] as string, nextRun());

      expect(await summariesOf(ids)).toEqual(before);
    },
    REPLAY_TIMEOUT_MS,
  );

  it('learns per campaign variant from all of the campaign’s days, not one day’s slice', async () => {
    await runNightly(deps, DAYS[0] as string, nextRun());
    const result = await runNightly(deps, DAYS[1] as string, nextRun());

    const delivered = (campaignId: string) =>
      events.filter((e) => e.type === 'delivered' && e.campaignId === campaignId).length;
    expect(result.campaigns.length).toBeGreaterThan(0);
    for (const c of result.campaigns) {
      expect(c.variants.reduce((sum, v) => sum + v.delivered, 0)).toBe(delivered(c.campaignId));
      for (const v of c.variants) expect(v.clickRate.trials).toBe(v.delivered);
    }
  });

  it('keeps recommendation signals over both days: co-visits summed, categories from the catalog', async () => {
    const day1 = await runNightly(deps, DAYS[0] as string, nextRun());
    const day2 = await runNightly(deps, DAYS[1] as string, nextRun());
    const sessions = (signals: typeof day1.signals) =>
      Object.values(signals.neighbours)
        .flat()
        .reduce((sum, n) => sum + n.sessions, 0);
    const catalog = new Map(buildWorld(options).catalog.map((i) => [i.id, i.category]));

    expect(day2.signals.daysWithData).toBe(2);
    expect(sessions(day2.signals)).toBeGreaterThan(sessions(day1.signals));
    for (const [category, items] of Object.entries(day2.signals.popularByCategory)) {
      for (const p of items) expect(catalog.get(p.itemId)).toBe(category);
    }
    const stored = await deps.signals.getSignals(DAYS[1]);
    expect(stored).toEqual(day2.signals);
  });

  it('serves a summary at GET /insights/{customerId}, and a 404 that says how to compute one', async () => {
    const id = events[1]?.customerId as string;

    const found = await fetch(`${bridge.url}/insights/${id}`);
    const missing = await fetch(`${bridge.url}/insights/nobody-here`);

    expect(found.status).toBe(200);
    expect(await found.json()).toEqual(JSON.parse(JSON.stringify(await profiles.getSummary(id))));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /npm run job -- insights-nightly/,
    );
  });

  it('serves every summary as of the latest processed day, and a re-run of an older day never moves it back', async () => {
    await runNightly(deps, DAYS[1] as string, nextRun());
    const ids = [...new Set(events.map((e) => e.customerId))].sort();
    const onlyFirstDay = ids.find((id) =>
      events.every((e) => e.customerId !== id || e.ts.startsWith(DAYS[0] as string)),
    ) as string;

    await runNightly(deps, DAYS[0] as string, nextRun());
    const summaries = await summariesOf(ids);

    expect(summaries.every((s) => s?.asOf === DAYS[1])).toBe(true);
    const idle = await profiles.getSummary(onlyFirstDay);
    expect(idle?.recencyDays).toBe(1);
    expect(idle?.windows.d7.activeDays).toBe(1);
  });

  it('carries a late event for an earlier day into the later summaries when that day is re-run', async () => {
    await runNightly(deps, DAYS[1] as string, nextRun());
    const id = events[0]?.customerId as string;
    const before = await profiles.getSummary(id);
    const late = {
      eventId: 'late-purchase-1',
      customerId: id,
      type: 'purchase' as const,
      ts: `${DAYS[0]}T23:59:00Z`,
      itemId: 'late-item',
      value: 12.34,
    };
    await ingestEntries(deps.events, [late], clock);

    await runNightly(deps, DAYS[0] as string, nextRun());
    const after = await profiles.getSummary(id);

    expect(after?.asOf).toBe(DAYS[1]);
    expect(after?.lifetime.revenue).toBeCloseTo((before?.lifetime.revenue ?? 0) + 12.34, 6);
    expect(after?.windows.d90.counts.purchase).toBe((before?.windows.d90.counts.purchase ?? 0) + 1);
  });

  it('lists the whole base in customers.csv and the slipping customers in the win-back list, as CSV and JSON', async () => {
    const day = DAYS[1] as string;
    const result = await runNightly(deps, day, nextRun());

    const csv = await (await fetch(`${bridge.url}/reports/${day}?format=csv`)).text();
    const winbackCsv = await fetch(`${bridge.url}/reports/${day}/winback?format=csv`);
    const winbackJson = await fetch(`${bridge.url}/reports/latest/winback`);
    const asHtml = await fetch(`${bridge.url}/reports/${day}/winback?format=html`);

    const known = new Set(events.map((e) => e.customerId));
    expect(result.base.counts.customers).toBe(known.size);
    expect(csv.trim().split('\n')).toHaveLength(1 + known.size);
    expect(result.customers).toBeLessThan(known.size);
    expect(winbackCsv.headers.get('content-type')).toMatch(/text\/csv/);
    const body = (await winbackJson.json()) as {
      day: string;
      customers: Array<Record<string, string>>;
    };
    expect(body.day).toBe(day);
    const whole = await assessBase(() => profiles.scanStates(), day);
    const winback = whole.summaries.filter((s) =>
      ['at_risk', 'hibernating', 'lost'].includes(s.rfm?.segment ?? ''),
    );
    expect(result.base.counts.winback).toBe(winback.length);
    expect(body.customers).toHaveLength(winback.length);
    expect(
      body.customers.every((c) => ['at_risk', 'hibernating', 'lost'].includes(c.segment ?? '')),
    ).toBe(true);
    expect((await winbackCsv.text()).trim().split('\n')).toHaveLength(1 + winback.length);
    expect(asHtml.status).toBe(400);
    const summary = (await (await fetch(`${bridge.url}/reports/${day}`)).json()) as {
      segments: Record<string, number>;
      currency: string;
    };
    expect(Object.values(summary.segments).reduce((a, b) => a + b, 0)).toBe(known.size);
    expect(summary.currency).toBe('EUR');
  });

  it('writes the same report on a re-run and serves it as JSON and CSV', async () => {
    const day = DAYS[1] as string;
    await runNightly(deps, day, nextRun());
    const first = await (await fetch(`${bridge.url}/reports/${day}`)).text();

    await runNightly(deps, day, nextRun());
    const json = await fetch(`${bridge.url}/reports/${day}`);
    const csv = await fetch(`${bridge.url}/reports/${day}?format=csv`);
    const missing = await fetch(`${bridge.url}/reports/2001-01-01`);
    const badFormat = await fetch(`${bridge.url}/reports/${day}?format=xml`);

    expect(json.status).toBe(200);
    const text = await json.text();
    expect(text).toBe(first);
    const report = JSON.parse(text);
    expect(report.kpis.events).toBe(events.filter((e) => e.ts.startsWith(day)).length);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const rows = (await csv.text()).trim().split('\n');
    expect(rows[0]).toMatch(/^customerId,segment,churnRisk,recencyDays,lastSeen,/);
    expect(rows).toHaveLength(1 + report.base.customers);
    expect(missing.status).toBe(404);
    expect(badFormat.status).toBe(400);
    const page = await fetch(`${bridge.url}/reports/latest`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<h1>Muse nightly report/);
  });

  it('erases a customer: hidden from served reports at once, gone from every stored object after the next run', async () => {
    const day = DAYS[1] as string;
    await runNightly(deps, day, nextRun());
    const csvOf = async () => (await fetch(`${bridge.url}/reports/${day}?format=csv`)).text();
    const stored = async () => csvText((await deps.reports.getCsv(day, 'customers')) ?? []);
    const id = (await csvOf()).split('\n')[1]?.split(',')[0] as string;
    expect(await profiles.getSummary(id)).toBeDefined();
    const erasures = deps.erasures as DynamoErasureStore;

    const { status, result } = await eraseCustomer(id, {
      erasures,
      erasers: [eventsEraser(deps.events), profileEraser(documentClient(), testConfig().appTable)],
    });

    expect(status).toBe(202);
    expect(result.removed.events).toBeGreaterThan(0);
    expect(await profiles.getSummary(id)).toBeUndefined();
    expect(await csvOf()).not.toMatch(new RegExp(`^${id},`, 'm'));
    expect(await stored()).toMatch(new RegExp(`^${id},`, 'm')); // the one writer has not run yet

    const run = await runNightly(deps, day, nextRun());

    expect(run.erasures.completed).toBeGreaterThanOrEqual(1);
    expect(await stored()).not.toMatch(new RegExp(`^${id},`, 'm'));
    expect(await csvText((await deps.reports.getCsv(day, 'winback')) ?? [])).not.toMatch(
      new RegExp(`^${id},`, 'm'),
    );
    expect(await erasures.isPending(id)).toBe(false);
    expect(await profiles.getSummary(id)).toBeUndefined();
  });
  it('credits an open on a day without sends to the delivery two days before, once however often the day is run', async () => {
    const [sent, opened] = ['2025-03-20', '2025-03-22'];
    const later = { now: new Date('2025-03-23T06:00:00Z'), retentionDays: 3650 };
    const message = { campaignId: 'attr-camp', variantId: 'attr-camp-a' };
    await ingestEntries(
      deps.events,
      [
        {
          eventId: 'attr-1',
          customerId: 'nightly-attr',
          type: 'delivered',
          ts: `${sent}T09:00:00Z`,
          ...message,
        },
        {
          eventId: 'attr-2',
          customerId: 'nightly-attr',
          type: 'open',
          ts: `${opened}T08:00:00Z`,
          ...message,
        },
        {
          eventId: 'attr-3',
          customerId: 'nightly-attr',
          type: 'open',
          ts: `${opened}T08:30:00Z`,
          ...message,
        },
        {
          eventId: 'attr-4',
          customerId: 'nightly-attr-2',
          type: 'open',
          ts: `${opened}T08:00:00Z`,
          ...message,
        },
      ],
      later,
    );
    await runNightly(deps, sent, nextRun());
    await runNightly(deps, opened, nextRun());

    const again = await runNightly(deps, opened, nextRun());

    const variant = again.campaigns.find((c) => c.campaignId === 'attr-camp')?.variants[0];
    expect(variant).toMatchObject({ delivered: 1, opens: 1 });
    const report = await deps.reports.getSummary(opened);
    expect(report?.funnel).toMatchObject({ open: 3 });
    expect(report?.funnel.delivered).toBeUndefined();
    expect(report?.kpis.openRate).toMatchObject({ successes: 1, trials: 1, rate: 1 });
  });
});
