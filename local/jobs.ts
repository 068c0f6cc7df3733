import { randomUUID } from 'node:crypto';
import { mapLimit } from '#lib/async.ts';
import { documentClient, s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { EVENT_SHARDS } from '#lib/events/keys.ts';
import { INSIGHTS_NIGHTLY } from '#lib/jobs/schedules.ts';
import { lambdaContext } from './lambdaContext.ts';
import type { LocalJob } from './scheduler.ts';
import { sweepExpired, sweepExpiredObjects } from './ttlSweep.ts';

/** Each step gets a context as Lambda gives it (the state machine's 15-minute task ceiling). */
const stepContext = (name: string) => lambdaContext(name, randomUUID(), 15 * 60_000);

/**
 * The scheduled jobs `npm start` runs, on the same schedules as in AWS.
 * `insights-nightly` calls the state machine's handler modules in one process
 * (map every shard, then reduce); `ttl-sweep` is local only: it stands in for DynamoDB TTL
 * and the S3 lifecycle rules, which dynalite and s3rver do not implement.
 */
export async function localJobs(): Promise<LocalJob[]> {
  return [
    {
      ...INSIGHTS_NIGHTLY,
      // The same handler modules as the state machine: map every shard, then reduce.
      run: async () => {
        const [map, reduce] = await Promise.all([
          import('#functions/insights-map.ts'),
          import('#functions/insights-reduce.ts'),
        ]);
        const input = { scheduledTime: new Date().toISOString(), runId: `local-${Date.now()}` };
        await mapLimit(
          Array.from({ length: EVENT_SHARDS }, (_, shard) => shard),
          4,
          async (shard) => {
            await map.handler({ run: input, shard }, stepContext('insights-map'));
          },
        );
        return reduce.handler(input, stepContext('insights-reduce'));
      },
    },
    {
      name: 'ttl-sweep',
      description:
        'local stand-in for DynamoDB TTL and S3 lifecycle: delete expired events, reports, job files and signals',
      cron: { minute: '17', hour: '*' },
      timeZone: 'UTC',
      run: async () => ({
        tables: await sweepExpired(documentClient()),
        buckets: await sweepExpiredObjects(s3Client(), config().events.retentionDays),
      }),
    },
  ];
}
