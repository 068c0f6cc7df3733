import { NotFoundError } from '#lib/errors.ts';
import { defineApi } from '#lib/http/api.ts';
import { json } from '#lib/http/response.ts';
import type { Scheduler } from './scheduler.ts';

/**
 * Local-only routes under `/_local/` (never deployed): list jobs and run one
 * now. `npm run job` uses them to run a job inside the running `npm start`,
 * which owns the emulators' data directory.
 */
export function adminApi(scheduler: Scheduler) {
  return defineApi([
    {
      method: 'GET',
      path: '/_local/jobs',
      handle: async () => json(200, { jobs: scheduler.nextRuns() }),
    },
    {
      method: 'POST',
      path: '/_local/jobs/{name}',
      handle: async ({ params }) => {
        const name = params.name ?? '';
        if (!(name in scheduler.nextRuns())) {
          throw new NotFoundError(
            `Unknown job "${name}". Known jobs: ${Object.keys(scheduler.nextRuns()).join(', ') || 'none'}.`,
          );
        }
        const started = Date.now();
        const result = await scheduler.runNow(name);
        return json(200, { job: name, durationMs: Date.now() - started, result });
      },
    },
  ]);
}
