import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { DynamoCatalogStore } from '#lib/catalog/store.ts';
import { ingestEntries } from '#lib/events/ingest.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { nightlyDeps } from '#lib/insights/deps.ts';
import { runNightly } from '#lib/insights/nightly.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { testConfig } from '#test/support/clients.ts';
import { HOSTILE_IDS } from '#test/support/hostile.ts';
import { ownAppTable, ownEventsTable } from '#test/support/ownTables.ts';
import { publishTinyModel } from '#test/support/tinyModel.ts';

/** Each hostile id is used as a customer, item, campaign, variant and event id at once, end to end. */
const HOSTILE = HOSTILE_IDS;
const DAY = '2024-02-29';
const clock = { now: new Date('2024-03-01T06:00:00Z'), retentionDays: 3650 };
const at = (hour: number) => `${DAY}T${String(hour).padStart(2, '0')}:00:00Z`;
const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();

let bridge: Bridge;

const get = async (path: string) => {
  const res = await fetch(`${bridge.url}${path}`);
  return { status: res.status, text: await res.text() };
};

beforeAll(async () => {
  await ownAppTable('hostile-ids');
  await ownEventsTable('hostile-ids');
  const manifest = await publishTinyModel('test/hostile');
  process.env.MUSE_MODEL_ID = manifest.id;
  process.env.MUSE_MODEL_CACHE_DIR = `${process.env.TMPDIR ?? '/tmp'}/muse-hostile-${Date.now()}`;
  const cfg = testConfig();
  const doc = documentClient();
  await new DynamoCatalogStore(doc, cfg.appTable).putItems(
    HOSTILE.map((id) => ({
      id,
      title: `Item ${id.slice(0, 20)}`,
      description: '',
      category: id.slice(0, 30),
      price: 10,
      tags: [],
      available: true,
    })),
  );
  const events = HOSTILE.flatMap((id, i) => {
    const other = HOSTILE[(i + 1) % HOSTILE.length] as string;
    const base = { customerId: id, campaignId: id, variantId: id, channel: 'email' as const };
    const e = id.slice(0, 100);
    return [
      { ...base, eventId: `${e}:d`, type: 'delivered', ts: at(1) },
      { ...base, eventId: `${e}:o`, type: 'open', ts: at(2) },
      { ...base, eventId: id, type: 'click', ts: at(3) },
      { eventId: `${e}:v1`, customerId: id, type: 'view', itemId: id, ts: at(4) },
      { eventId: `${e}:v2`, customerId: id, type: 'view', itemId: other, ts: at(5) },
      {
        eventId: `${e}:p`,
        customerId: id,
        type: 'purchase',
        itemId: id,
        value: 10 + i,
        ts: at(6),
        props: { [id === '__proto__' ? 'proto' : id]: 1, constructor: 'ok' },
      },
    ];
  });
  const stored = await ingestEntries(new DynamoEventStore(doc, cfg.eventsTable), events, clock);
  expect(stored.errors.map((e) => JSON.stringify(e)).slice(0, 2)).toEqual([]);
  await runNightly(nightlyDeps(), DAY, `hostile-${Date.now()}`);
  bridge = await startBridge({
    port: 0,
    functions: {
      events: () => import('#functions/events.ts'),
      insights: () => import('#functions/insights.ts'),
      recommend: () => import('#functions/recommend.ts'),
    },
  });
}, 120_000);

afterAll(async () => {
  await bridge?.close();
});

describe('hostile ids through ingest → nightly → insights → report → recommend → erase', () => {
  it.each(HOSTILE)('summarises %s as a customer of its own', async (id) => {
    const { status, text } = await get(`/insights/${encodeURIComponent(id)}`);

    expect(status).toBe(200);
    const summary = JSON.parse(text);
    expect(summary.customerId).toBe(id);
    expect(summary.windows.d7.counts).toMatchObject({ view: 2, purchase: 1, click: 1 });
    expect(summary.topItems.map((t: { itemId: string }) => t.itemId)).toContain(id);
  });

  it('reports every hostile customer and counts their events', async () => {
    const report = JSON.parse((await get(`/reports/${DAY}`)).text);
    const csv = (await get(`/reports/${DAY}?format=csv`)).text;

    expect(report.kpis.events).toBeGreaterThanOrEqual(HOSTILE.length * 6);
    for (const id of HOSTILE) expect(csv).toContain(id);
  });

  it.each(HOSTILE)('recommends for %s', async (id) => {
    const res = await fetch(`${bridge.url}/recommend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customerId: id, k: 3 }),
    });

    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: Array<{ itemId: string }> };
    expect(body.items.map((i: { itemId: string }) => i.itemId)).not.toContain(id);
  });

  it('leaves Object.prototype untouched', () => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
    expect(({} as Record<string, unknown>).views).toBeUndefined();
  });

  it.each(HOSTILE)('erases %s, after which it has no insights', async (id) => {
    const path = `/customers/${encodeURIComponent(id)}`;
    const erased = await fetch(`${bridge.url}${path}`, { method: 'DELETE' });

    expect(erased.status).toBe(202);
    expect((await get(`/insights/${encodeURIComponent(id)}`)).status).toBe(404);
  });

  it('refuses "." and ".." and ids with a "/" as customer ids, stating the rule', async () => {
    const res = await fetch(`${bridge.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        ['.', '..', 'a/b'].map((customerId, i) => ({
          eventId: `bad-${i}`,
          customerId,
          type: 'view',
          ts: new Date().toISOString(),
        })),
      ),
    });

    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toMatch(/1-128 printable characters/);
  });
});
