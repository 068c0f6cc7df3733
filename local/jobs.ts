import { documentClient } from '#lib/aws/clients.ts';
import type { LocalJob } from './scheduler.ts';
import { sweepExpired } from './ttlSweep.ts';

/**
 * The scheduled jobs `npm start` runs. AWS jobs wrap the same handler module
 * the scheduled Lambda runs (the nightly insights job joins with its
 * capability); `ttl-sweep` is local only: it stands in for DynamoDB TTL,
 * which dynalite does not implement.
 */
export async function localJobs(): Promise<LocalJob[]> {
  return [
    {
      name: 'ttl-sweep',
      description: 'local stand-in for DynamoDB TTL: delete expired events',
      cron: { minute: '17', hour: '*' },
      timeZone: 'UTC',
      run: () => sweepExpired(documentClient()),
    },
  ];
}
