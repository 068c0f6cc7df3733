import { Cron } from 'croner';
import { type ScheduleDefinition, unixCron } from '#lib/jobs/schedules.ts';
import { logger } from '#lib/log.ts';

/** A scheduled job the local scheduler can run. */
export interface LocalJob extends ScheduleDefinition {
  run: () => Promise<unknown>;
}

/** A running local scheduler. */
export interface Scheduler {
  /** Next run time of each job. */
  nextRuns(): Record<string, Date | null>;
  /** Runs a job now, outside its schedule; rejects for an unknown name. */
  runNow(name: string): Promise<unknown>;
  /** Stops all timers and waits for running jobs to finish. */
  stop(): Promise<void>;
}

/**
 * Runs jobs on their cron expressions in their time zones, like EventBridge
 * Scheduler does in AWS. A job never overlaps itself: a tick that arrives
 * while the previous run is still going is skipped and logged.
 *
 * @example
 * ```ts
 * const scheduler = startScheduler([{ name: 'nightly', cron: { minute: '0', hour: '2' }, timeZone: 'UTC', description: '', run }]);
 * ```
 */
export function startScheduler(jobs: LocalJob[]): Scheduler {
  const running = new Map<string, Promise<unknown>>();
  const byName = new Map(jobs.map((job) => [job.name, job]));

  const execute = (job: LocalJob): Promise<unknown> => {
    const current = running.get(job.name);
    if (current) return current;
    const started = Date.now();
    const promise = job
      .run()
      .then((result) => {
        logger.info('job finished', { job: job.name, durationMs: Date.now() - started });
        return result;
      })
      .finally(() => running.delete(job.name));
    running.set(job.name, promise);
    return promise;
  };

  const timers = jobs.map(
    (job) =>
      new Cron(unixCron(job.cron), { timezone: job.timeZone, name: job.name }, () => {
        if (running.has(job.name)) {
          logger.warn('job still running; skipping this tick', { job: job.name });
          return;
        }
        execute(job).catch((error) => logger.error('job failed', { job: job.name, error }));
      }),
  );

  return {
    nextRuns: () => Object.fromEntries(timers.map((t, i) => [jobs[i]?.name ?? '', t.nextRun()])),
    runNow: (name) => {
      const job = byName.get(name);
      if (!job) {
        return Promise.reject(
          new Error(
            `Unknown job "${name}". Known jobs: ${[...byName.keys()].join(', ') || 'none'}.`,
          ),
        );
      }
      return execute(job);
    },
    stop: async () => {
      for (const t of timers) t.stop();
      await Promise.allSettled(running.values());
    },
  };
}
