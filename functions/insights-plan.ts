import { planDeps } from '#lib/insights/deps.ts';
import { planStep } from '#lib/insights/mapStep.ts';
import { jobHandler } from '#lib/jobs/jobHandler.ts';

const deps = planDeps();

/** Nightly job, plan step: the run's day and the shards it is processed with (the Map's items). */
export const handler = jobHandler((event) => planStep(deps, event));
