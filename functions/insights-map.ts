import { mapDeps } from '#lib/insights/deps.ts';
import { dayOfRun, MapShardInput, parseJobInput } from '#lib/insights/jobInput.ts';
import { mapOneShard } from '#lib/insights/mapDay.ts';

const deps = mapDeps();

/** Nightly job, map step (one invocation per shard in the state machine's Map state). */
export async function handler(event: unknown) {
  const input = parseJobInput(MapShardInput, event);
  const day = dayOfRun(input.run);
  const { partial, reused } = await mapOneShard(deps, day, input.shard, input.run.runId);
  return { day, shard: input.shard, events: partial.events, reused };
}
