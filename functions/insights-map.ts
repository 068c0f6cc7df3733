import { mapDeps } from '#lib/insights/deps.ts';
import { mapStep } from '#lib/insights/mapStep.ts';
import { jobHandler } from '#lib/jobs/jobHandler.ts';

const deps = mapDeps();

/** Nightly job, map step (one invocation per shard in the state machine's Map state). */
export const handler = jobHandler((event) => mapStep(deps, event));
