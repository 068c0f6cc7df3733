import type { EventStore } from '../events/store.ts';
import { MetricUnit, metrics } from '../metrics.ts';
import { type BaseDeps, fixScales, scoreSegment, tallySegment } from './baseJob.ts';
import { BaseStepInput, dayOfRun, MapShardInput, NightlyInput, parseJobInput } from './jobInput.ts';
import { processShard, type ShardDeps } from './nightly.ts';

/**
 * The plan step of the nightly state machine: the day of the run and the
 * shards it is processed with (the largest count the day's events were
 * written with), one Map item per shard. Its result stays small: at most
 * 1,024 shard numbers.
 *
 * @example
 * ```ts
 * const plan = await planStep(mapDeps(), { runId: 'r1', scheduledTime: '2026-12-01T02:30:00Z' });
 * ```
 */
export async function planStep(deps: { events: EventStore }, event: unknown) {
  const input = parseJobInput(NightlyInput, event);
  const day = dayOfRun(input);
  const layout = await deps.events.layoutOf(day);
  return {
    day,
    runId: input.runId,
    ...(input.scheduledTime ? { scheduledTime: input.scheduledTime } : {}),
    shards: layout.shards,
    items: Array.from({ length: layout.shards }, (_, shard) => shard),
  };
}

/**
 * The shard step of the nightly state machine (one invocation per shard):
 * validates the input, maps the shard and writes its customers' profiles
 * (or reuses what the run saved when it resumes) and counts `JobShardEvents`. Refuses when the day's layout
 * changed since the plan (events written meanwhile with another shard
 * count): a new run plans again. Its result is small: counts only.
 *
 * @example
 * ```ts
 * await mapStep(mapDeps(), { run: { runId: 'r1', day: '2026-11-30', shards: 16 }, shard: 3 });
 * ```
 */
export async function mapStep(deps: ShardDeps, event: unknown) {
  const { run, shard } = parseJobInput(MapShardInput, event);
  const layout = await deps.events.layoutOf(run.day);
  if (layout.shards !== run.shards) {
    throw new Error(
      `${run.day} is now written with ${layout.shards} shards, not the ${run.shards} this run planned; start a new run.`,
    );
  }
  const { summary, reused } = await processShard(deps, run.day, shard, run.runId, layout);
  metrics().addMetric('JobShardEvents', MetricUnit.Count, summary.events);
  return {
    day: run.day,
    shard,
    events: summary.events,
    customers: summary.activeCustomers,
    reused,
  };
}

/**
 * The base steps of the nightly state machine: pass 1 over one scan segment
 * of the profiles (`tally`, one invocation per segment), the merge of the
 * tallies into the base's scales (`scales`, once), and pass 2 over one
 * segment (`score`, writing its part of the customer lists). Each is
 * reused when the run resumes. Results are counts only.
 *
 * @example
 * ```ts
 * await baseStep(baseDeps(), { step: 'tally', run: { day: '2026-11-30', runId: 'r1', segments: 16 }, segment: 3 });
 * ```
 */
export async function baseStep(deps: BaseDeps, event: unknown) {
  const input = parseJobInput(BaseStepInput, event);
  const { run } = input;
  if (input.step === 'scales') {
    const tally = await fixScales(deps, run);
    return { day: run.day, step: input.step, customers: tally.customers };
  }
  if (input.step === 'tally') {
    const { tally, reused } = await tallySegment(deps, run, input.segment);
    return {
      day: run.day,
      step: input.step,
      segment: input.segment,
      customers: tally.customers,
      reused,
    };
  }
  const { score, reused } = await scoreSegment(deps, run, input.segment);
  const customers = Object.values(score.segments).reduce((sum, n) => sum + (n ?? 0), 0);
  metrics().addMetric('JobBaseCustomers', MetricUnit.Count, customers);
  return { day: run.day, step: input.step, segment: input.segment, customers, reused };
}
