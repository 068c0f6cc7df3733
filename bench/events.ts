/**
 * Events benchmarks on a fresh in-memory dynalite, side by side in one run:
 *  1. ingestion (validation, keys, dedupe read, batch writes with retries)
 *     vs raw BatchWriteItem of the same items, in events/s;
 *  2. erasure of one customer with 10,000 events.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_CONCURRENCY, batchWrite } from '#lib/aws/batch.ts';
import { createDynamoClient } from '#lib/aws/clients.ts';
import { ingestEntries } from '#lib/events/ingest.ts';
import { toStoredEvent } from '#lib/events/keys.ts';
import type { EngagementEvent } from '#lib/events/schema.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { eraseCustomer, eventsEraser } from '#lib/privacy/eraseCustomer.ts';
import { DynamoErasureStore } from '#lib/privacy/erasures.ts';
import { type LocalStack, startLocalStack } from '#local/stack.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';
import { median, table } from './lib.ts';

const EVENTS = 20_000;
const BATCH = 500;
const REPS = 3;
/** Batches in flight, as a client (or the seed) sends them. */
const CLIENT_CONCURRENCY = 4;

async function withStack<T>(fn: (stack: LocalStack) => Promise<T>): Promise<T> {
  const stack = await startLocalStack({ dataDir: '.data/bench-events', inMemoryDynamo: true });
  try {
    return await fn(stack);
  } finally {
    await stack.emulators.stop();
  }
}

function clients(stack: LocalStack) {
  const dynamo = createDynamoClient({
    region: 'us-east-1',
    local: {
      dynamoEndpoint: stack.emulators.dynamoEndpoint,
      s3Endpoint: stack.emulators.s3Endpoint,
    },
  });
  return DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
}

async function inBatches(
  events: EngagementEvent[],
  send: (batch: EngagementEvent[], offset: number) => Promise<unknown>,
) {
  const batches: EngagementEvent[][] = [];
  for (let i = 0; i < events.length; i += BATCH) batches.push(events.slice(i, i + BATCH));
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENT_CONCURRENCY }, async () => {
      while (next < batches.length) {
        const index = next++;
        await send(batches[index] as EngagementEvent[], index * BATCH);
      }
    }),
  );
}

/** Runs the events benchmarks; returns rows for the table and JSON. */
export async function runEventsBench(): Promise<Record<string, unknown>> {
  const now = new Date();
  const rows: Array<Record<string, string | number>> = [];
  const ingestRates: number[] = [];
  const rawRates: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const options: SeedOptions = {
      customers: 1000,
      days: 20,
      events: EVENTS,
      seed: rep + 1,
      end: now,
    };
    const events = [...demoEvents(buildWorld(options), options)];
    // Fresh emulators per measurement so neither side sees the other's table size.
    ingestRates.push(
      await withStack(async (stack) => {
        Object.assign(process.env, stack.env);
        const store = new DynamoEventStore(clients(stack), stack.env.MUSE_EVENTS_TABLE as string);
        const t0 = performance.now();
        await inBatches(events, (batch) =>
          ingestEntries(store, batch, { now, retentionDays: 400 }),
        );
        return EVENTS / ((performance.now() - t0) / 1000);
      }),
    );
    rawRates.push(
      await withStack(async (stack) => {
        const doc = clients(stack);
        const items = events.map((e) => toStoredEvent(e, { receivedAt: now, retentionDays: 400 }));
        const t0 = performance.now();
        await inBatches(events, async (batch, start) => {
          await batchWrite(
            doc,
            stack.env.MUSE_EVENTS_TABLE as string,
            items.slice(start, start + batch.length).map((put) => ({ put })),
          );
        });
        return EVENTS / ((performance.now() - t0) / 1000);
      }),
    );
  }
  rows.push({
    events: EVENTS,
    'ingest events/s': median(ingestRates),
    'BatchWriteItem only events/s': median(rawRates),
    ratio: median(ingestRates) / median(rawRates),
  });

  // Erasure of one customer with 10,000 events.
  const eraseMs = await withStack(async (stack) => {
    const doc = clients(stack);
    const store = new DynamoEventStore(doc, stack.env.MUSE_EVENTS_TABLE as string);
    const events: EngagementEvent[] = Array.from({ length: 10_000 }, (_, i) => ({
      eventId: `ev-${i}`,
      customerId: 'heavy-customer',
      type: 'view',
      ts: new Date(now.getTime() - (i + 1) * 60_000).toISOString(),
      itemId: `item-${i % 50}`,
    }));
    await inBatches(events, (batch) => ingestEntries(store, batch, { now, retentionDays: 400 }));
    const t0 = performance.now();
    const { result } = await eraseCustomer('heavy-customer', {
      erasures: new DynamoErasureStore(doc, stack.env.MUSE_APP_TABLE as string),
      erasers: [eventsEraser(store)],
    });
    const ms = performance.now() - t0;
    if (result.removed.events !== 10_000)
      throw new Error(`erased ${result.removed.events} of 10000`);
    return ms;
  });

  console.log(
    `\nEvent ingestion into dynalite (${EVENTS} seeded events, batches of ${BATCH}, ${CLIENT_CONCURRENCY} in flight, ${BATCH_CONCURRENCY} calls per batch; medians of ${REPS}):`,
  );
  console.log(table(rows));
  console.log(`\nErasure of a customer with 10,000 events: ${Math.round(eraseMs)} ms`);
  return { ingest: rows, eraseMs10k: eraseMs };
}
