import type { EventStore } from '../events/store.ts';
import { MetricUnit, metrics } from '../metrics.ts';
import { dayOfRun, MapShardInput, parseJobInput } from './jobInput.ts';
import { mapOneShard, type ShardStore } from './mapDay.ts';

/**
 * The map step of the nightly state machine (one invocation per shard):
 * validates the input, maps the shard (or reuses its saved partial when the
 * run resumes) and counts `JobShardEvents`. Its result is small: counts only.
 *
 * @example
 * ```ts
 * await mapStep(mapDeps(), { run: { runId: 'r1', day: '2026-11-30' }, shard: 3 });
 * ```
 */
export async function mapStep(deps: { events: EventStore; shards: ShardStore }, event: unknown) {
  const input = parseJobInput(MapShardInput, event);
  const day = dayOfRun(input.run);
  const { partial, reused } = await mapOneShard(deps, day, input.shard, input.run.runId);
  metrics().addMetric('JobShardEvents', MetricUnit.Count, partial.events);
  return { day, shard: input.shard, events: partial.events, reused };
}
