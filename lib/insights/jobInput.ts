import { z } from 'zod';
import { yesterday } from '../days.ts';
import { isShardCount, MAX_EVENT_SHARDS } from '../events/keys.ts';
import { validate } from '../validation.ts';

/**
 * Input of the nightly state machine and its Lambdas. EventBridge Scheduler
 * sends `scheduledTime` and its execution id as `runId`; `day` overrides the
 * day (re-running a past day). Retries of one execution share the run id,
 * so they resume; a new execution re-reads every shard.
 */
export const NightlyInput = z.object({
  day: z.iso.date({ error: 'must be a UTC day such as 2026-11-22' }).optional(),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
  runId: z
    .string()
    .regex(/^[\w.:-]{1,128}$/, { error: 'must be 1-128 characters of [A-Za-z0-9_.:-]' }),
});

const ShardCount = z.int().refine(isShardCount, {
  error: `must be a power of two from 1 to ${MAX_EVENT_SHARDS}`,
});

/**
 * A run after its plan: the day and the shard count it is processed with
 * (the plan step's output; the input of the reduce Lambda).
 */
export const PlannedRun = z.object({
  day: z.iso.date({ error: 'must be a UTC day such as 2026-11-22' }),
  runId: NightlyInput.shape.runId,
  shards: ShardCount,
  /** The schedule's time, when the scheduler started the run (for the job-duration metric). */
  scheduledTime: NightlyInput.shape.scheduledTime,
});

/** Input of the map Lambda: the planned run and one shard (the Map state's item selector). */
export const MapShardInput = z.object({
  run: PlannedRun,
  shard: z
    .int()
    .min(0)
    .max(MAX_EVENT_SHARDS - 1),
});

/** Parses a job input, failing with the field paths at fault. */
export function parseJobInput<S extends z.ZodType>(schema: S, event: unknown): z.output<S> {
  return validate(schema, event, 'nightly job input');
}

/** The day a run aggregates: `day` if given, else the UTC day before `scheduledTime` (or now). */
export function dayOfRun(input: z.output<typeof NightlyInput>): string {
  return input.day ?? yesterday(input.scheduledTime ? new Date(input.scheduledTime) : new Date());
}

/** A run's pass over the base: the day, the run and its scan segments (as many as the day's shards). */
export const BaseRunInput = z.object({
  day: PlannedRun.shape.day,
  runId: NightlyInput.shape.runId,
  segments: ShardCount,
});

const Segment = z
  .int()
  .min(0)
  .max(MAX_EVENT_SHARDS - 1);

/**
 * Input of the base Lambda: pass 1 over one segment (`tally`), the merge of
 * the tallies (`scales`), or pass 2 over one segment (`score`).
 */
export const BaseStepInput = z.discriminatedUnion('step', [
  z.object({ step: z.literal('tally'), run: BaseRunInput, segment: Segment }),
  z.object({ step: z.literal('scales'), run: BaseRunInput }),
  z.object({ step: z.literal('score'), run: BaseRunInput, segment: Segment }),
]);
