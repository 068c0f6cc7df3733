import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../async.ts';
import { CUSTOMER_OBJECTS } from '../aws/resources.ts';
import { getJson, getText, putJson, putText } from '../aws/s3json.ts';
import { parseCsv, toCsv, unescapeCell } from './csv.ts';
import type { SavedShard } from './mapDay.ts';

/** Objects rewritten at once during an erasure. */
const ERASE_CONCURRENCY = 8;

async function keysUnder(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: prefix },
  )) {
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
  }
  return keys;
}

/** Removes erased customers from every stored object that names customers. */
export interface StoredObjectCompactor {
  /** Rewrites each object that holds any of `customerIds` without them; returns rows and entries removed. */
  compact(customerIds: ReadonlySet<string>): Promise<number>;
}

/**
 * {@link StoredObjectCompactor} on the reports bucket: rows of every
 * `reports/<date>/customers.csv` and `winback.csv`, and the nightly job's
 * per-shard partials under `insights/`. Report
 * summaries hold only aggregates and stay. Each object is read and rewritten
 * at most once for all the ids, and only if it changes. Its one caller is the
 * nightly job (the one writer of these objects), so erasures never race.
 */
export function s3Compactor(s3: S3Client, bucket: string): StoredObjectCompactor {
  return {
    async compact(ids) {
      if (ids.size === 0) return 0;
      let removed = 0;
      const { reportCsvs, shard } = CUSTOMER_OBJECTS;
      const csvs = (await keysUnder(s3, bucket, reportCsvs.prefix)).filter((k) =>
        reportCsvs.suffixes.some((suffix) => k.endsWith(suffix)),
      );
      await mapLimit(csvs, ERASE_CONCURRENCY, async (key) => {
        const text = await getText(s3, bucket, key);
        if (text === undefined) return;
        const [header = [], ...rows] = parseCsv(text);
        const kept = rows.filter((row) => !ids.has(unescapeCell(row[0] ?? '')));
        if (kept.length === rows.length) return;
        removed += rows.length - kept.length;
        const body = toCsv(
          header,
          kept.map((row) => row.map(unescapeCell)),
        );
        await putText(s3, bucket, key, body, 'text/csv; charset=utf-8');
      });
      const working = await keysUnder(s3, bucket, shard.prefix);
      const shards = working.filter(
        (k) => k.startsWith(shard.prefix) && k.includes(shard.contains),
      );
      await mapLimit(shards, ERASE_CONCURRENCY, async (key) => {
        const saved = await getJson<SavedShard>(s3, bucket, key);
        const found = [...ids].filter((id) => saved && Object.hasOwn(saved.partial.customers, id));
        if (!saved || found.length === 0) return;
        for (const id of found) delete saved.partial.customers[id];
        removed += found.length;
        await putJson(s3, bucket, key, saved);
      });
      return removed;
    },
  };
}
