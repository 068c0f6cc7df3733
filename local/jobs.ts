import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { mapLimit } from '#lib/async.ts';
import { documentClient, s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { daysFrom, yesterday } from '#lib/days.ts';
import { INSIGHTS_NIGHTLY } from '#lib/jobs/schedules.ts';
import { lambdaContext } from './lambdaContext.ts';
import type { LocalJob } from './scheduler.ts';
import { sweepExpired, sweepExpiredObjects } from './ttlSweep.ts';

const Day = (flag: string) =>
  z.iso.date({ error: `--${flag} must be a UTC day such as 2026-11-22` });

/**
 * Options of a nightly insights run now (`npm run insights`, `npm run job --
 * insights-nightly`): one day (`date`, default yesterday), or every day from
 * `from` to `date` in order (a backfill); `resume` continues a killed run of
 * one day, reusing the shards it finished.
 */
export const NightlyRunOptions = z
  .strictObject({
    date: Day('date').optional(),
    from: Day('from').optional(),
    resume: z
      .string()
      .regex(/^[\w.-]{1,64}$/, { error: '--resume takes a run id printed by an earlier run' })
      .optional(),
  })
  .refine((o) => !o.from || o.from <= (o.date ?? yesterday()), {
    error: '--from must not be after --date',
  })
  .refine((o) => !(o.from && o.resume), { error: '--resume continues one day; drop --from' });
/** Parsed {@link NightlyRunOptions}. */
export type NightlyRunOptions = z.output<typeof NightlyRunOptions>;

/** The days a run with these options processes, in order (profiles carry each day into the next). */
export function nightlyRunDays(options: NightlyRunOptions, now: Date = new Date()): string[] {
  const date = options.date ?? yesterday(now);
  return daysFrom(options.from ?? date, date);
}

/** Map tasks run at once locally (the state machine's MaxConcurrency in AWS). */
const MAP_CONCURRENCY = 4;

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
      options: NightlyRunOptions,
      // The same handler modules as the state machine: map every shard, then reduce, day by day.
      run: async (options) => {
        const [plan, map, base, reduce] = await Promise.all([
          import('#functions/insights-plan.ts'),
          import('#functions/insights-map.ts'),
          import('#functions/insights-base.ts'),
          import('#functions/insights-reduce.ts'),
        ]);
        const chosen = (options ?? {}) as NightlyRunOptions;
        const runId = chosen.resume ?? `local-${Date.now()}`;
        // On the schedule: the state machine's input (yesterday of the scheduled time).
        const inputs =
          chosen.date || chosen.from
            ? nightlyRunDays(chosen).map((day) => ({ day, runId }))
            : [{ scheduledTime: new Date().toISOString(), runId }];
        const results: unknown[] = [];
        for (const input of inputs) {
          // The state machine's steps: plan, one map task per shard (4 at a time here), one
          // tally task per base segment, the scales, one score task per segment, reduce.
          const { items, ...run } = (await plan.handler(input, stepContext('insights-plan'))) as {
            items: number[];
            day: string;
            runId: string;
            shards: number;
          } & Record<string, unknown>;
          await mapLimit(items, MAP_CONCURRENCY, async (shard) => {
            await map.handler({ run, shard }, stepContext('insights-map'));
          });
          const baseRun = { day: run.day, runId: run.runId, segments: run.shards };
          const segments = (step: 'tally' | 'score') =>
            mapLimit(items, MAP_CONCURRENCY, async (segment) => {
              await base.handler({ step, run: baseRun, segment }, stepContext('insights-base'));
            });
          await segments('tally');
          await base.handler({ step: 'scales', run: baseRun }, stepContext('insights-base'));
          await segments('score');
          results.push(await reduce.handler(run, stepContext('insights-reduce')));
        }
        return results.length === 1 ? results[0] : { days: results };
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
