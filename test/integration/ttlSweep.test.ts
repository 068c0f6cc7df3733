import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { REPORTS_BUCKET } from '#lib/aws/resources.ts';
import { DAY_MS } from '#lib/days.ts';
import { sweepExpired, sweepExpiredObjects } from '#local/ttlSweep.ts';
import { testClients, testConfig } from '#test/support/clients.ts';

describe('local TTL sweep (dynalite has no TTL)', () => {
  it('deletes expired events and keeps live ones', async () => {
    const doc = documentClient();
    const table = testConfig().eventsTable;
    // A clock in 2000: only this test's item has expired, not other files' live events.
    const now = new Date('2000-01-01T00:00:00Z');
    const epoch = now.getTime() / 1000;
    const run = Date.now().toString(36);
    const expired = { pk: `D#ttl#${run}`, sk: 'old', expiresAt: epoch - 1 };
    const live = { pk: `D#ttl#${run}`, sk: 'new', expiresAt: epoch + 3600 };
    await doc.send(new PutCommand({ TableName: table, Item: expired }));
    await doc.send(new PutCommand({ TableName: table, Item: live }));

    const deleted = await sweepExpired(doc, now);

    expect(deleted[table]).toBe(1);
    const get = (sk: string) =>
      doc.send(new GetCommand({ TableName: table, Key: { pk: expired.pk, sk } }));
    expect((await get('old')).Item).toBeUndefined();
    expect((await get('new')).Item).toEqual(live);
  });

  it('deletes reports, job files and signals older than the retention, like the S3 lifecycle rules, and nothing else', async () => {
    const { s3 } = testClients();
    // Its own bucket: a clock past the retention would expire other files' reports too.
    const bucket = `ttl-objects-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const keys = [
      'reports/2025-01-01/customers.csv',
      'insights/2025-01-01/shards/00.json',
      'signals/days/2025-01-01.json',
      'models/keep/config.json',
    ];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'x' }));
    const targets = [{ bucket, prefixes: REPORTS_BUCKET.expiringPrefixes }];
    const listed = async () =>
      ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map(
        (o) => o.Key,
      );

    const early = await sweepExpiredObjects(s3, 30, new Date(Date.now() + 29 * DAY_MS), targets);
    const late = await sweepExpiredObjects(s3, 30, new Date(Date.now() + 31 * DAY_MS), targets);

    expect(early[bucket]).toBe(0);
    expect(late[bucket]).toBe(3);
    expect(await listed()).toEqual(['models/keep/config.json']);
  });
});
