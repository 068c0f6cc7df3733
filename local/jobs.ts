import { documentClient } from '#lib/aws/clients.ts';
import { nightlyDeps, yesterday } from '#lib/insights/deps.ts';
import { runNightly } from '#lib/insights/nightly.ts';
import { INSIGHTS_NIGHTLY } from '#lib/jobs/schedules.ts';
import type { LocalJob } from './scheduler.ts';
import { sweepExpired } from './ttlSweep.ts';

/**
 * The scheduled jobs `npm start` runs, on the same schedules as in AWS.
 * `insights-nightly` runs the nightly job in one process (map every shard,
 * reduce, learn); `ttl-sweep` is local only: it stands in for DynamoDB TTL,
 * which dynalite does not implement.
 */
export async function localJobs(): Promise<LocalJob[]> {
  return [
    {
      ...INSIGHTS_NIGHTLY,
      run: async () => {
        const day = yesterday();
        const { summaries, ...result } = await runNightly(
          nightlyDeps(),
          day,
          `local-${Date.now()}`,
        );
        return { ...result, campaigns: result.campaigns.length };
      },
    },
    {
      name: 'ttl-sweep',
      description: 'local stand-in for DynamoDB TTL: delete expired events',
      cron: { minute: '17', hour: '*' },
      timeZone: 'UTC',
      run: () => sweepExpired(documentClient()),
    },
  ];
}
