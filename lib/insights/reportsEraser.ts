import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../async.ts';
import { CUSTOMER_OBJECTS } from '../aws/resources.ts';
import { getJson, getText, putJson, putText } from '../aws/s3json.ts';
import type { CustomerDataEraser } from '../privacy/eraseCustomer.ts';
import { parseCsv, toCsv, unescapeCell } from './csv.ts';
import type { SavedShard } from './mapDay.ts';
import type { PopulationEntry } from './population.ts';

/** Objects rewritten at once during an erasure. */
const ERASE_CONCURRENCY = 8;

async function keysUnder(
  s3: S3Client,
  bucket: string,
  prefix: string,
  suffix: string,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: prefix },
  )) {
    for (const o of page.Contents ?? []) if (o.Key?.endsWith(suffix)) keys.push(o.Key);
  }
  return keys;
}

/**
 * Erases a customer from the reports bucket: their rows in every
 * `reports/<date>/customers.csv`, and from the nightly job's working files
 * under `insights/` (population index entries, per-shard partials). Report
 * summaries hold only aggregates and stay. Only objects that change are
 * rewritten; the count is rows and entries removed.
 */
export function reportsEraser(s3: S3Client, bucket: string): CustomerDataEraser {
  return {
    name: 'reportRows',
    async erase(customerId) {
      let removed = 0;
      const { reportCustomers, population, shard } = CUSTOMER_OBJECTS;
      const csvs = await keysUnder(s3, bucket, reportCustomers.prefix, reportCustomers.suffix);
      await mapLimit(csvs, ERASE_CONCURRENCY, async (key) => {
        const text = await getText(s3, bucket, key);
        if (text === undefined) return;
        const [header = [], ...rows] = parseCsv(text);
        const kept = rows.filter((row) => unescapeCell(row[0] ?? '') !== customerId);
        if (kept.length === rows.length) return;
        removed += rows.length - kept.length;
        await putText(
          s3,
          bucket,
          key,
          toCsv(
            header,
            kept.map((row) => row.map(unescapeCell)),
          ),
          'text/csv; charset=utf-8',
        );
      });
      // One listing of the job's working files serves both kinds.
      const working = await keysUnder(s3, bucket, population.prefix, '.json');
      const populations = working.filter((k) => k.endsWith(population.suffix));
      await mapLimit(populations, ERASE_CONCURRENCY, async (key) => {
        const entries = await getJson<PopulationEntry[]>(s3, bucket, key);
        const kept = (entries ?? []).filter((e) => e.id !== customerId);
        if (!entries || kept.length === entries.length) return;
        removed += entries.length - kept.length;
        await putJson(s3, bucket, key, kept);
      });
      await mapLimit(
        working.filter((k) => k.startsWith(shard.prefix) && k.includes(shard.contains)),
        ERASE_CONCURRENCY,
        async (key) => {
          const saved = await getJson<SavedShard>(s3, bucket, key);
          if (!saved?.partial.customers[customerId]) return;
          delete saved.partial.customers[customerId];
          removed++;
          await putJson(s3, bucket, key, saved);
        },
      );
      return removed;
    },
  };
}
