import {
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { EVENTS_TABLE, MODELS_BUCKET } from '#lib/aws/resources.ts';
import { ensureResources } from '#local/provision.ts';
import { testClients } from '#test/support/clients.ts';

describe('ensureResources', () => {
  it('creates a table with the shared keys and index, then reuses it', async () => {
    const { dynamo, s3 } = testClients();
    const name = `provision-${Date.now()}`;
    const input = { dynamo, s3, tables: [[EVENTS_TABLE, name] as const], buckets: [] };

    const first = await ensureResources(input);
    const second = await ensureResources(input);
    const table = (await dynamo.send(new DescribeTableCommand({ TableName: name }))).Table;
    await dynamo.send(new DeleteTableCommand({ TableName: name }));

    expect(first).toEqual({ created: [`table ${name}`], existing: [] });
    expect(second).toEqual({ created: [], existing: [`table ${name}`] });
    expect(table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['byCustomer']);
  });

  it('creates a missing bucket once', async () => {
    const { dynamo, s3 } = testClients();
    const name = `provision-${Date.now()}`;
    const input = { dynamo, s3, tables: [], buckets: [[MODELS_BUCKET, name] as const] };

    const first = await ensureResources(input);
    const second = await ensureResources(input);

    expect(first.created).toEqual([`bucket ${name}`]);
    expect(second.existing).toEqual([`bucket ${name}`]);
  });

  it('provisioned the app tables in the test stack (dynalite ignores TTL settings)', async () => {
    const { dynamo, cfg } = testClients();

    const ttl = await dynamo.send(new DescribeTimeToLiveCommand({ TableName: cfg.eventsTable }));

    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
  });
});
