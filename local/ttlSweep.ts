import { DeleteObjectsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#lib/aws/batch.ts';
import { BUCKETS, localName, TABLES } from '#lib/aws/resources.ts';
import { DAY_MS } from '#lib/days.ts';

/**
 * Does locally what DynamoDB TTL does in AWS, which dynalite does not: deletes
 * items whose TTL attribute (epoch seconds) has passed, in every table that
 * defines one. Returns the number deleted per table.
 */
export async function sweepExpired(
  doc: DynamoDBDocumentClient,
  now: Date = new Date(),
): Promise<Record<string, number>> {
  const deleted: Record<string, number> = {};
  for (const def of TABLES) {
    const attribute = def.timeToLiveAttribute;
    if (!attribute) continue;
    const table = localName(def);
    deleted[table] = 0;
    const pages = paginateScan(
      { client: doc },
      {
        TableName: table,
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': attribute },
        ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
        ProjectionExpression: 'pk, sk',
      },
    );
    for await (const page of pages) {
      const keys = (page.Items ?? []) as Array<{ pk: string; sk: string }>;
      const result = await batchWrite(
        doc,
        table,
        keys.map((k) => ({ delete: k })),
      );
      deleted[table] += result.written.length;
    }
  }
  return deleted;
}

/** A bucket and the prefixes of it whose objects expire. */
export interface ExpiringObjects {
  bucket: string;
  prefixes: readonly string[];
}

/** Every local bucket with its `expiringPrefixes`, as the S3 lifecycle rules in AWS name them. */
export function localExpiringObjects(): ExpiringObjects[] {
  return BUCKETS.filter((b) => b.expiringPrefixes.length > 0).map((b) => ({
    bucket: localName(b),
    prefixes: b.expiringPrefixes,
  }));
}

/**
 * Does locally what the S3 lifecycle rules do in AWS, which s3rver does not:
 * deletes the objects under each expiring prefix last written more than
 * `retentionDays` before `now` (S3 counts from an object's creation; Muse
 * rewrites an object whole, so its last write is its creation). Returns the
 * number deleted per bucket.
 */
export async function sweepExpiredObjects(
  s3: S3Client,
  retentionDays: number,
  now: Date = new Date(),
  targets: readonly ExpiringObjects[] = localExpiringObjects(),
): Promise<Record<string, number>> {
  const cutoff = now.getTime() - retentionDays * DAY_MS;
  const deleted: Record<string, number> = {};
  for (const { bucket, prefixes } of targets) {
    deleted[bucket] = 0;
    for (const prefix of prefixes) {
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: prefix },
      )) {
        const expired = (page.Contents ?? []).filter(
          (o) => o.Key && o.LastModified && o.LastModified.getTime() < cutoff,
        );
        if (expired.length === 0) continue;
        await s3.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: expired.map((o) => ({ Key: o.Key })), Quiet: true },
          }),
        );
        deleted[bucket] += expired.length;
      }
    }
  }
  return deleted;
}
