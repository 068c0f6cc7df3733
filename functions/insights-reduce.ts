import { nightlyDeps } from '#lib/insights/deps.ts';
import { dayOfRun, NightlyInput, parseJobInput } from '#lib/insights/jobInput.ts';
import { loadMappedDay } from '#lib/insights/mapDay.ts';
import { finishDay } from '#lib/insights/nightly.ts';

const deps = nightlyDeps();

/** Nightly job, reduce step: profiles, campaign learning and the report of the mapped day. */
export async function handler(event: unknown) {
  const input = parseJobInput(NightlyInput, event);
  const day = dayOfRun(input);
  const result = await finishDay(
    deps,
    await loadMappedDay(deps.shards, day, input.runId),
    input.runId,
  );
  // Step Functions payloads are capped at 256 KB: counts, not the summaries.
  return {
    day,
    runId: input.runId,
    events: result.events,
    customers: result.customers,
    campaigns: result.campaigns.length,
    signals: {
      itemsWithNeighbours: Object.keys(result.signals.neighbours).length,
      trending: result.signals.trending.length,
    },
  };
}
