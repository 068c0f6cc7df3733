import { GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient, dynamoClient, s3Client } from '#lib/aws/clients.ts';
import { ingestEntries } from '#lib/events/ingest.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { nightlyDeps } from '#lib/insights/deps.ts';
import { runNightly } from '#lib/insights/nightly.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { testConfig } from '#test/support/clients.ts';
import { ownAppTable } from '#test/support/ownTables.ts';

const cfg = testConfig();
const run = Date.now().toString(36);
const DAY = '2024-01-15';
const clock = { now: new Date('2024-01-16T06:00:00Z'), retentionDays: 3650 };
const ids = Array.from({ length: 6 }, (_, i) => `erase-${run}-${i}`);
let bridge: Bridge;

/** Every object under the reports bucket's customer-bearing prefixes, as text. */
async function storedTexts(): Promise<string[]> {
  const out: string[] = [];
  for (const prefix of ['reports/', 'insights/']) {
    for await (const page of paginateListObjectsV2(
      { client: s3Client() },
      { Bucket: cfg.reportsBucket, Prefix: prefix },
    )) {
      for (const o of page.Contents ?? []) {
        const got = await s3Client().send(
          new GetObjectCommand({ Bucket: cfg.reportsBucket, Key: o.Key }),
        );
        out.push((await got.Body?.transformToString()) ?? '');
      }
    }
  }
  return out;
}

/** Counts the AWS calls each client makes while `act` runs. */
async function callsDuring(act: () => Promise<unknown>): Promise<{ s3: number; dynamo: number }> {
  const counts = { s3: 0, dynamo: 0 };
  const name = `count-${Math.random()}`;
  s3Client().middlewareStack.add(
    (next) => (args) => {
      counts.s3++;
      return next(args);
    },
    {
      step: 'initialize',
      name,
    },
  );
  dynamoClient().middlewareStack.add(
    (next) => (args) => {
      counts.dynamo++;
      return next(args);
    },
    {
      step: 'initialize',
      name,
    },
  );
  try {
    await act();
  } finally {
    s3Client().middlewareStack.remove(name);
    dynamoClient().middlewareStack.remove(name);
  }
  return counts;
}

const erase = (id: string) =>
  fetch(`${bridge.url}/customers/${encodeURIComponent(id)}`, { method: 'DELETE' });

beforeAll(async () => {
  await ownAppTable('erasure');
  const events = ids.flatMap((customerId, i) =>
    ['view', 'purchase'].map((type, k) => ({
      eventId: `${customerId}-${k}`,
      customerId,
      type,
      itemId: `item-${i}`,
      ts: `${DAY}T1${k}:00:00Z`,
      ...(type === 'purchase' ? { value: 5 } : {}),
    })),
  );
  await ingestEntries(new DynamoEventStore(documentClient(), cfg.eventsTable), events, clock);
  await runNightly(nightlyDeps(), DAY, `erasure-${run}-1`);
  bridge = await startBridge({
    port: 0,
    functions: {
      events: () => import('#functions/events.ts'),
      insights: () => import('#functions/insights.ts'),
    },
  });
}, 120_000);
afterAll(async () => {
  await bridge?.close();
});

describe('erasure under concurrency, through the one writer', () => {
  it('erases 2 and then 4 customers at once: 202 each, hidden from served reports at once, gone from every stored object after the next run', async () => {
    expect((await storedTexts()).some((t) => t.includes(ids[0] as string))).toBe(true);

    const two = await Promise.all(ids.slice(0, 2).map(erase));
    const four = await Promise.all(ids.slice(2).map(erase));

    expect([...two, ...four].map((r) => r.status)).toEqual(Array(6).fill(202));
    const served = await (await fetch(`${bridge.url}/reports/${DAY}?format=csv`)).text();
    for (const id of ids) expect(served).not.toContain(id);
    for (const id of ids) {
      expect((await fetch(`${bridge.url}/insights/${id}`)).status).toBe(404);
    }

    await runNightly(nightlyDeps(), DAY, `erasure-${run}-2`);

    const texts = await storedTexts();
    for (const id of ids) expect(texts.filter((t) => t.includes(id))).toEqual([]);
  });

  it('is idempotent: erasing again answers with nothing more removed', async () => {
    const again = await erase(ids[0] as string);
    const body = (await again.json()) as { removed: Record<string, number> };

    expect(again.status).toBe(200);
    expect(Object.values(body.removed)).toEqual([0, 0]);
  });

  it('erases an unknown id with O(1) calls and no S3 read', async () => {
    let status = 0;
    const calls = await callsDuring(async () => {
      status = (await erase(`nobody-${run}`)).status;
    });

    expect(status).toBe(200);
    expect(calls.s3).toBe(0);
    expect(calls.dynamo).toBeLessThanOrEqual(5);
  });
});
