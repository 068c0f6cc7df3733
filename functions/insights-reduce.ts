import { reduceDeps } from '#lib/insights/deps.ts';
import { reduceStep } from '#lib/insights/reduceStep.ts';
import { jobHandler } from '#lib/jobs/jobHandler.ts';

const deps = reduceDeps();

/** Nightly job, reduce step: profiles, campaign learning and the report of the mapped day. */
export const handler = jobHandler((event) => reduceStep(deps, event));
