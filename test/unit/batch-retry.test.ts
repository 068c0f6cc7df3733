import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { RetryPolicy } from '#lib/async.ts';
import { batchWrite } from '#lib/aws/batch.ts';
import { createDynamoClient, createS3Client, SDK_RETRY } from '#lib/aws/clients.ts';
import { toStoredEvent } from '#lib/events/keys.ts';
import { DynamoEventStore } from '#lib/events/store.ts';

// Throttling cannot be made to happen on dynalite: these are the only mocked tests.
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const mock = mockClient(DynamoDBDocumentClient);
afterEach(() => mock.reset());

const items = Array.from({ length: 30 }, (_, i) => ({ pk: 'P', sk: `S${i}`, n: i }));
const put = (item: (typeof items)[number]) => ({ PutRequest: { Item: item } });

function fakeTime(deadlineMs: number) {
  const waits: number[] = [];
  const policy: RetryPolicy = {
    deadlineMs,
    baseDelayMs: 10,
    maxDelayMs: 80,
    random: () => 0.5,
    sleep: async (ms) => {
      waits.push(ms);
    },
  };
  return { waits, policy };
}

describe('batchWrite under throttling (mocked DynamoDB)', () => {
  it('retries unprocessed items with growing jittered backoff until all are written', async () => {
    const { waits, policy } = fakeTime(60_000);
    mock
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: items.slice(0, 3).map(put) } })
      .resolvesOnce({ UnprocessedItems: { t: items.slice(0, 1).map(put) } })
      .resolves({});

    const result = await batchWrite(
      doc,
      't',
      items.slice(0, 25).map((p) => ({ put: p })),
      policy,
    );

    expect(result.failed).toEqual([]);
    expect(result.written).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(waits).toEqual([5, 10]); // half (random 0.5) of 10, then of 20
    const calls = mock.commandCalls(BatchWriteCommand);
    expect(calls.map((c) => c.args[0].input.RequestItems?.t?.length)).toEqual([25, 3, 1]);
  });

  it('leaves a thrown throttling error to the SDK strategy: the items fail once, as transient', async () => {
    const { policy } = fakeTime(60_000);
    mock
      .on(BatchWriteCommand)
      .rejectsOnce(
        Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }),
      )
      .resolves({});

    const result = await batchWrite(
      doc,
      't',
      items.slice(0, 5).map((p) => ({ put: p })),
      policy,
    );

    expect(result.written).toEqual([]);
    expect(result.failed.map((f) => f.reason)).toEqual(
      Array(5).fill(
        "ProvisionedThroughputExceededException (throttled; the SDK's retries gave up)",
      ),
    );
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(1);
  });

  it('configures the SDK clients with the one retry strategy', async () => {
    const client = createDynamoClient({ region: 'us-east-1' });

    expect(await client.config.maxAttempts()).toBe(SDK_RETRY.maxAttempts);
    const mode = client.config.retryMode;
    expect(typeof mode === 'function' ? await mode() : mode).toBe('standard');
  });

  it("builds the SDK clients without the logger middleware (its filter walks every call's items)", () => {
    const local = { dynamoEndpoint: 'http://127.0.0.1:1', s3Endpoint: 'http://127.0.0.1:1' };
    for (const cfg of [{ region: 'us-east-1' }, { region: 'us-east-1', local }]) {
      for (const client of [createDynamoClient(cfg), createS3Client(cfg)]) {
        const names = client.middlewareStack.identify().join('\n');
        expect(names).toContain('retryMiddleware');
        expect(names).not.toContain('loggerMiddleware');
      }
    }
  });

  it('reports items still unprocessed at the deadline as failed, never drops them', async () => {
    const { policy } = fakeTime(0);
    mock.on(BatchWriteCommand).callsFake((input) => ({
      UnprocessedItems: {
        t: input.RequestItems.t.filter(
          (r: ReturnType<typeof put>) => r.PutRequest.Item.n % 2 === 0,
        ),
      },
    }));

    const result = await batchWrite(
      doc,
      't',
      items.map((p) => ({ put: p })),
      policy,
    );

    expect(result.written).toEqual(items.filter((i) => i.n % 2 === 1).map((i) => i.n));
    expect(result.failed.map((f) => f.index)).toEqual(
      items.filter((i) => i.n % 2 === 0).map((i) => i.n),
    );
    expect(result.failed[0]?.reason).toMatch(/throttled/);
  });

  it('fails each item of a call rejected for a non-retryable reason, trying each alone once', async () => {
    const { policy } = fakeTime(60_000);
    mock
      .on(BatchWriteCommand)
      .rejects(Object.assign(new Error('bad'), { name: 'ValidationException' }));

    const result = await batchWrite(
      doc,
      't',
      items.slice(0, 2).map((p) => ({ put: p })),
      policy,
    );

    expect(result).toEqual({
      written: [],
      failed: [
        { index: 0, reason: 'ValidationException', permanent: true },
        { index: 1, reason: 'ValidationException', permanent: true },
      ],
    });
    expect(mock.commandCalls(BatchWriteCommand)).toHaveLength(3);
  });

  it('isolates an item DynamoDB refuses: its 24 neighbours are written, it alone fails as permanent', async () => {
    const { policy } = fakeTime(60_000);
    const bad = items[7];
    mock.on(BatchWriteCommand).callsFake((input) => {
      const puts = input.RequestItems.t as Array<{ PutRequest: { Item: { sk: string } } }>;
      if (puts.some((p) => p.PutRequest.Item.sk === bad?.sk)) {
        throw Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
          name: 'ValidationException',
        });
      }
      return {};
    });

    const result = await batchWrite(
      doc,
      't',
      items.slice(0, 25).map((p) => ({ put: p })),
      policy,
    );

    expect(result.written).toEqual(Array.from({ length: 25 }, (_, i) => i).filter((i) => i !== 7));
    expect(result.failed).toEqual([{ index: 7, reason: 'ValidationException', permanent: true }]);
  });
});

describe("event writes when a day's shard layout cannot be recorded (mocked DynamoDB)", () => {
  it('writes no event of that day and reports each as a transient failure, while other days are stored', async () => {
    const written: string[] = [];
    mock.on(PutCommand).callsFake((input: { Item: { pk: string } }) => {
      if (input.Item.pk === 'L#2026-11-23') {
        throw Object.assign(new Error('throttled'), {
          name: 'ProvisionedThroughputExceededException',
        });
      }
      written.push(input.Item.pk);
      return {};
    });
    const at = (eventId: string, ts: string) =>
      toStoredEvent(
        { eventId, customerId: 'c1', type: 'view', ts },
        { receivedAt: new Date('2026-11-24T00:00:00Z'), retentionDays: 400 },
      );
    const store = new DynamoEventStore(doc, 'events');

    const outcome = await store.putNew([
      at('e1', '2026-11-23T10:00:00Z'),
      at('e2', '2026-11-22T10:00:00Z'),
      at('e3', '2026-11-23T11:00:00Z'),
    ]);

    expect(outcome.failed).toEqual([
      { index: 0, reason: 'ProvisionedThroughputExceededException' },
      { index: 2, reason: 'ProvisionedThroughputExceededException' },
    ]);
    expect(outcome.stored).toEqual([1]);
    expect(written.filter((pk) => pk.startsWith('D#2026-11-23'))).toEqual([]);
  });
});
