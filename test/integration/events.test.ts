import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerPartition } from '#lib/aws/appKeys.ts';
import { documentClient } from '#lib/aws/clients.ts';
import type { IngestResult } from '#lib/events/ingest.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { testConfig } from '#test/support/clients.ts';

let bridge: Bridge;
let store: DynamoEventStore;
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

beforeAll(async () => {
  store = new DynamoEventStore(documentClient(), testConfig().eventsTable);
  bridge = await startBridge({
    port: 0,
    functions: { events: () => import('#functions/events.ts') },
  });
});
afterAll(async () => {
  await bridge?.close();
});

const event = (customerId: string, n: number, extra: Record<string, unknown> = {}) => ({
  eventId: `ev-${run}-${customerId}-${n}`,
  customerId,
  type: 'view',
  ts: hoursAgo(1 + n / 100),
  channel: 'web',
  itemId: `item-${n % 7}`,
  ...extra,
});

async function post(body: string | unknown, contentType = 'application/json') {
  const res = await fetch(`${bridge.url}/events`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as IngestResult & { error?: { code: string; issues?: unknown[] } },
  };
}

describe('POST /events against dynalite', () => {
  it.each([1e16, 1e126, 1e200, 1e-200, 5e-324])(
    'answers value %s with a 400 at its index and stores its 99 neighbours',
    async (value) => {
      const c = `num-${run}-${String(value).replace('-', 'm').replace(/[^\w]/g, '')}`;
      const batch = Array.from({ length: 100 }, (_, n) =>
        n === 42 ? event(c, n, { type: 'purchase', value }) : event(c, n),
      );

      const { status, body } = await post(batch);

      expect(status).toBe(207);
      expect(body.accepted).toBe(99);
      expect(body.failed).toEqual([]);
      expect(body.errors.map((e) => [e.index, e.issues[0]?.path])).toEqual([[42, 'value']]);
    },
  );

  it('stores the valid events of a mixed batch and answers 207 with exact per-index errors', async () => {
    const c = `mixed-${run}`;
    const batch = [
      event(c, 1),
      { ...event(c, 2), type: 'like' },
      event(c, 3),
      { ...event(c, 4), ts: new Date(Date.now() + 3_600_000).toISOString() },
      { ...event(c, 5), extra: 1 },
    ];

    const { status, body } = await post(batch);

    expect(status).toBe(207);
    expect(body).toMatchObject({ received: 5, accepted: 2, duplicates: 0, failed: [] });
    expect(body.errors.map((e) => [e.index, e.eventId, e.issues.map((i) => i.path)])).toEqual([
      [1, batch[1]?.eventId, ['type']],
      [3, batch[3]?.eventId, ['ts']],
      [4, batch[4]?.eventId, ['extra']],
    ]);
    const stored = await store.customerEvents(c);
    expect(stored.map((e) => e.eventId).sort()).toEqual(
      [batch[0]?.eventId, batch[2]?.eventId].sort(),
    );
  });

  it('answers 200 when every event is stored', async () => {
    const c = `ok-${run}`;

    const { status, body } = await post([event(c, 1), event(c, 2)]);

    expect(status).toBe(200);
    expect(body).toEqual({ received: 2, accepted: 2, duplicates: 0, errors: [], failed: [] });
  });

  it('answers 400 with field paths when no event is valid, storing nothing', async () => {
    const c = `bad-${run}`;

    const { status, body } = await post([{ ...event(c, 1), type: 'x' }, { customerId: c }]);

    expect(status).toBe(400);
    expect(body.error?.code).toBe('validation_failed');
    expect(body.error?.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: '0.type' }),
        expect.objectContaining({ path: '1.eventId' }),
      ]),
    );
    expect(await store.customerEvents(c)).toEqual([]);
  });

  it('accepts NDJSON', async () => {
    const c = `ndjson-${run}`;
    const lines = [event(c, 1), event(c, 2), event(c, 3)].map((e) => JSON.stringify(e)).join('\n');

    const { status, body } = await post(lines, 'application/x-ndjson');

    expect(status).toBe(200);
    expect(body.accepted).toBe(3);
    expect(await store.customerEvents(c)).toHaveLength(3);
  });

  it('rejects a body over 1 MB with 413 and stores nothing', async () => {
    const c = `big-${run}`;
    const props = Object.fromEntries(
      Array.from({ length: 8 }, (_, k) => [`k${k}`, 'x'.repeat(240)]),
    );
    const batch = Array.from({ length: 500 }, (_, i) => event(c, i, { props }));
    expect(JSON.stringify(batch).length).toBeGreaterThan(1024 * 1024);

    const { status, body } = await post(batch);

    expect(status).toBe(413);
    expect(body.error?.code).toBe('payload_too_large');
    expect(await store.customerEvents(c)).toEqual([]);
  });

  it('rejects 501 events with 413', async () => {
    const { status, body } = await post(
      Array.from({ length: 501 }, (_, i) => event(`many-${run}`, i)),
    );

    expect(status).toBe(413);
    expect(body.error?.code).toBe('batch_too_large');
  });

  it('stores a batch replayed 3 times once, counting the replays as duplicates', async () => {
    const c = `replay-${run}`;
    const batch = Array.from({ length: 60 }, (_, i) => event(c, i));

    const answers = [await post(batch), await post(batch), await post(batch)];

    expect(answers.map((a) => [a.status, a.body.accepted, a.body.duplicates])).toEqual([
      [200, 60, 0],
      [200, 0, 60],
      [200, 0, 60],
    ]);
    expect(await store.customerEvents(c, { limit: 1000 })).toHaveLength(60);
  });

  it('counts the same event twice in one batch once', async () => {
    const c = `twice-${run}`;

    const { body } = await post([event(c, 1), event(c, 1), event(c, 2)]);

    expect([body.accepted, body.duplicates]).toEqual([2, 1]);
  });
});

describe('DELETE /customers/{customerId} against dynalite', () => {
  const erase = async (id: string) => {
    const res = await fetch(`${bridge.url}/customers/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        removed: Record<string, number>;
        requestedAt?: string;
        error?: { code: string };
      },
    };
  };

  it('removes the customer’s events and profile items now, leaves others, and is idempotent while the rest is pending', async () => {
    const c = `erase-${run}`;
    const other = `keep-${run}`;
    await post(Array.from({ length: 120 }, (_, i) => event(c, i)));
    await post([event(other, 1)]);
    const doc = documentClient();
    for (const sk of ['PROFILE', 'DAY#2026-11-22']) {
      await doc.send(
        new PutCommand({
          TableName: testConfig().appTable,
          Item: { pk: customerPartition(c), sk },
        }),
      );
    }

    const first = await erase(c);
    const second = await erase(c);

    // 202: their own items are gone now; stored reports are cleaned by the next nightly run.
    expect(first).toMatchObject({
      status: 202,
      body: { removed: { events: 120, profileItems: 2 }, scheduled: expect.any(Object) },
    });
    expect(second).toMatchObject({
      status: 202,
      body: { removed: { events: 0, profileItems: 0 }, requestedAt: first.body.requestedAt },
    });
    expect(await store.customerEvents(c)).toEqual([]);
    expect(await store.customerEvents(other)).toHaveLength(1);
  });

  it('rejects a malformed customer id with 400', async () => {
    const { status, body } = await erase('bad\u0001id');

    expect(status).toBe(400);
    expect(body.error?.code).toBe('validation_failed');
  });
});
