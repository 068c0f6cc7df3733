import { MetricUnit, metrics } from '../metrics.ts';
import { PlannedRun, parseJobInput } from './jobInput.ts';
import { loadReducedDay } from './mapDay.ts';
import { finishDay, type ReduceDeps } from './nightly.ts';

/**
 * The reduce step: profiles, campaign learning and the report of the mapped
 * day. Adds `JobEvents`, `JobReduceDuration`, `JobDuration` (from the
 * scheduled start; a re-run of a past day has none) and `JobSucceeded` (the
 * missed-run alarm watches it). Step Functions payloads are capped at 256 KB,
 * so the result carries counts, not the summaries.
 */
export async function reduceStep(deps: ReduceDeps, event: unknown) {
  const started = performance.now();
  const input = parseJobInput(PlannedRun, event);
  const { day } = input;
  const result = await finishDay(
    deps,
    await loadReducedDay(deps.shards, day, input.runId, input.shards),
    input.runId,
  );
  const m = metrics();
  m.addMetric('JobEvents', MetricUnit.Count, result.events);
  m.addMetric('JobReduceDuration', MetricUnit.Milliseconds, performance.now() - started);
  if (input.scheduledTime) {
    m.addMetric(
      'JobDuration',
      MetricUnit.Milliseconds,
      Date.now() - Date.parse(input.scheduledTime),
    );
  }
  m.addMetric('JobSucceeded', MetricUnit.Count, 1);
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
