import { reduceDeps } from '#lib/insights/deps.ts';
import { dayOfRun, NightlyInput, parseJobInput } from '#lib/insights/jobInput.ts';
import { loadMappedDay } from '#lib/insights/mapDay.ts';
import { finishDay } from '#lib/insights/nightly.ts';
import { MetricUnit, metrics } from '#lib/metrics.ts';

const deps = reduceDeps();

/**
 * Nightly job, reduce step: profiles, campaign learning and the report of the
 * mapped day. Publishes `JobEvents`, `JobReduceDuration`, `JobDuration` and
 * `JobSucceeded` (the missed-run alarm watches the last).
 */
export async function handler(event: unknown) {
  const started = performance.now();
  const input = parseJobInput(NightlyInput, event);
  const day = dayOfRun(input);
  const result = await finishDay(
    deps,
    await loadMappedDay(deps.shards, day, input.runId),
    input.runId,
  );
  const m = metrics();
  m.addMetric('JobEvents', MetricUnit.Count, result.events);
  m.addMetric('JobReduceDuration', MetricUnit.Milliseconds, performance.now() - started);
  // The whole run, from its scheduled start (map stage included); a re-run of a past day has none.
  if (input.scheduledTime) {
    m.addMetric(
      'JobDuration',
      MetricUnit.Milliseconds,
      Date.now() - Date.parse(input.scheduledTime),
    );
  }
  m.addMetric('JobSucceeded', MetricUnit.Count, 1);
  m.publishStoredMetrics();
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
