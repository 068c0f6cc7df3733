import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { sweepExpired } from '#local/ttlSweep.ts';
import { testConfig } from '#test/support/clients.ts';

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
});
