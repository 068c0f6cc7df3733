import { Cron } from 'croner';
import type { z } from 'zod';
import { ConflictError, ValidationError } from '#lib/errors.ts';
import { type ScheduleDefinition, unixCron } from '#lib/jobs/schedules.ts';
import { logger } from '#lib/log.ts';
import { validate } from '#lib/validation.ts';

/** A scheduled job the local scheduler can run. */
export interface LocalJob extends ScheduleDefinition {
  /** Options a run now may take (`npm run job -- <name> --flag value`); none when absent. */
  options?: z.ZodType;
  /** Runs the job: on its schedule without options, now with the options parsed by `options`. */
  run: (options?: unknown) => Promise<unknown>;
}

/** A running local scheduler. */
export interface Scheduler {
  /** Next run time of each job. */
  nextRuns(): Record<string, Date | null>;
  /**
   * Runs a job now, outside its schedule. Without options a call joins a run
   * already going; with options it is refused while one runs. Rejects for an
   * unknown name and for options the job does not take (a 400).
   */
  runNow(name: string, options?: Record<string, unknown>): Promise<unknown>;
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

  const execute = (job: LocalJob, options?: unknown): Promise<unknown> => {
    const current = running.get(job.name);
    if (current && options === undefined) return current;
    if (current) {
      return Promise.reject(
        new ConflictError(`${job.name} is running; run it again with these options when it ends.`),
      );
    }
    const started = Date.now();
    const promise = job
      .run(options)
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
    runNow: async (name, options) => {
      const job = byName.get(name);
      if (!job) {
        throw new Error(
          `Unknown job "${name}". Known jobs: ${[...byName.keys()].join(', ') || 'none'}.`,
        );
      }
      const given = options && Object.keys(options).length > 0 ? options : undefined;
      if (given && !job.options) {
        throw new ValidationError(`${name} takes no options.`, {
          issues: Object.keys(given).map((path) => ({ path, message: 'unknown option' })),
        });
      }
      return execute(
        job,
        given && job.options ? validate(job.options, given, `${name} options`) : undefined,
      );
    },
    stop: async () => {
      for (const t of timers) t.stop();
      await Promise.allSettled(running.values());
    },
  };
}
