import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { batchWrite } from '#lib/aws/batch.ts';
import { localName, TABLES } from '#lib/aws/resources.ts';

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
