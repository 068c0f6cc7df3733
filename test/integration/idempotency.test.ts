import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import type { IngestResult } from '#lib/events/ingest.ts';
import { CUSTOMER_INDEX, customerKey, toStoredEvent } from '#lib/events/keys.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { testConfig } from '#test/support/clients.ts';

/** The concurrency storm: clients, events and the share of copies. */
const STORM = { clients: 8, events: 20_000, duplicateShare: 0.3, batch: 500 };
const STORM_TIMEOUT_MS = 240_000;

const cfg = testConfig();
const run = Date.now().toString(36);
let bridge: Bridge;

beforeAll(async () => {
  bridge = await startBridge({
    port: 0,
    functions: { events: () => import('#functions/events.ts') },
  });
});
afterAll(async () => {
  await bridge?.close();
});

async function post(events: unknown[]): Promise<IngestResult> {
  const res = await fetch(`${bridge.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  return (await res.json()) as IngestResult;
}

/** How many event items a customer has in the table (the customer index, all pages). */
async function storedFor(customerId: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: cfg.eventsTable,
        IndexName: CUSTOMER_INDEX,
        KeyConditionExpression: 'customerKey = :c',
        ExpressionAttributeValues: { ':c': customerKey(customerId) },
        Select: 'COUNT',
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

describe('idempotency by eventId', () => {
  it('counts a resend of the same eventId with another ts as a duplicate', async () => {
    const customerId = `idem-${run}-ts`;
    const event = { eventId: `idem-${run}-1`, customerId, type: 'view', itemId: 'i-1' };

    const first = await post([{ ...event, ts: minutesAgo(10) }]);
    const again = await post([{ ...event, ts: minutesAgo(9) }]);
    const sameBatch = await post([
      { ...event, eventId: `idem-${run}-2`, ts: minutesAgo(8) },
      { ...event, eventId: `idem-${run}-2`, ts: minutesAgo(7) },
    ]);

    expect([first.accepted, first.duplicates]).toEqual([1, 0]);
    expect([again.accepted, again.duplicates]).toEqual([0, 1]);
    expect([sameBatch.accepted, sameBatch.duplicates]).toEqual([1, 1]);
    expect(await storedFor(customerId)).toBe(2);
  });

  it('bulk-imports new events with their eventId records, so a later resend is a duplicate', async () => {
    const store = new DynamoEventStore(documentClient(), cfg.eventsTable);
    const customerId = `idem-${run}-import`;
    const event = (ts: string) =>
      toStoredEvent(
        { eventId: `import-${run}-1`, customerId, type: 'view', itemId: 'i-1', ts },
        { receivedAt: new Date(), retentionDays: 400 },
      );

    await store.importNew([event(minutesAgo(5))]);
    const resend = await store.putNew([event(minutesAgo(4))]);

    expect(resend).toEqual({ stored: [], duplicates: [0], failed: [] });
    expect(await storedFor(customerId)).toBe(1);
  });

  it(
    `stores each of ${STORM.events} events once from ${STORM.clients} concurrent clients with ${STORM.duplicateShare * 100} % copies in flight and across batches: stored = unique = Σaccepted`,
    async () => {
      const customerId = `idem-${run}-storm`;
      const unique = Math.round(STORM.events * (1 - STORM.duplicateShare));
      // Every event once, then copies of random ones (with other timestamps), shuffled across clients.
      const sends = Array.from({ length: STORM.events }, (_, i) =>
        i < unique ? i : (i * 7919) % unique,
      );
      for (let i = sends.length - 1; i > 0; i--) {
        const j = (i * 104729) % (i + 1);
        [sends[i], sends[j]] = [sends[j] as number, sends[i] as number];
      }
      const lanes = Array.from({ length: STORM.clients }, (_, c) =>
        sends.filter((_, i) => i % STORM.clients === c),
      );

      const results = await Promise.all(
        lanes.map(async (lane, c) => {
          const answers: IngestResult[] = [];
          for (let i = 0; i < lane.length; i += STORM.batch) {
            const batch = lane.slice(i, i + STORM.batch).map((n, k) => ({
              eventId: `storm-${run}-${n}`,
              customerId,
              type: 'view',
              itemId: `i-${n % 50}`,
              ts: minutesAgo(1 + ((n + c + k) % 600) / 10),
            }));
            answers.push(await post(batch));
          }
          return answers;
        }),
      );

      const answers = results.flat();
      const accepted = answers.reduce((n, a) => n + a.accepted, 0);
      const duplicates = answers.reduce((n, a) => n + a.duplicates, 0);
      expect(answers.flatMap((a) => [...a.errors, ...a.failed])).toEqual([]);
      expect(accepted).toBe(unique);
      expect(accepted + duplicates).toBe(STORM.events);
      expect(await storedFor(customerId)).toBe(unique);
    },
    STORM_TIMEOUT_MS,
  );
});
