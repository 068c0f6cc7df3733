import { baseDeps } from '#lib/insights/deps.ts';
import { baseStep } from '#lib/insights/mapStep.ts';
import { jobHandler } from '#lib/jobs/jobHandler.ts';

const deps = baseDeps();

/** Nightly job, base steps (tally and score once per scan segment in Distributed Maps; scales once). */
export const handler = jobHandler((event) => baseStep(deps, event));
