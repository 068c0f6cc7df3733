import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { ingestEntries } from '#lib/events/ingest.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { lambdaContext } from '#local/lambdaContext.ts';
import { testConfig } from '#test/support/clients.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';

// A day no other test file writes to.
const DAY = '2025-01-20';
const options: SeedOptions = {
  customers: 40,
  days: 1,
  events: 800,
  seed: 31,
  end: new Date('2025-01-21T00:00:00Z'),
};
const events = [...demoEvents(buildWorld(options), options)].map((e) => ({
  ...e,
  customerId: `sfn-${e.customerId}`,
}));

beforeAll(async () => {
  const store = new DynamoEventStore(documentClient(), testConfig().eventsTable);
  const clock = { now: new Date('2025-01-21T06:00:00Z'), retentionDays: 3650 };
  for (let i = 0; i < events.length; i += 500)
    await ingestEntries(store, events.slice(i, i + 500), clock);
});

const stepContext = (name: string) => lambdaContext(name, `test-${name}`, 60_000);

describe('nightly state machine steps (the Lambda handlers) on dynalite + s3rver', () => {
  it('plans the day of the scheduled time, maps each of its shards, tallies and scores each base segment, then reduces it', async () => {
    const plan = await import('#functions/insights-plan.ts');
    const map = await import('#functions/insights-map.ts');
    const base = await import('#functions/insights-base.ts');
    const reduce = await import('#functions/insights-reduce.ts');
    const input = { scheduledTime: '2025-01-21T02:30:00Z', runId: 'sched-exec-1' };

    const { items, ...run } = await plan.handler(input, stepContext('insights-plan'));
    const mapped = await Promise.all(
      items.map((shard) => map.handler({ run, shard }, stepContext('insights-map'))),
    );
    const baseRun = { day: run.day, runId: run.runId, segments: run.shards };
    const segments = (step: 'tally' | 'score') =>
      Promise.all(
        items.map((segment) =>
          base.handler({ step, run: baseRun, segment }, stepContext('insights-base')),
        ),
      );
    // Scoring before the scales are fixed is refused, naming what to do first.
    await expect(
      base.handler({ step: 'score', run: baseRun, segment: 0 }, stepContext('insights-base')),
    ).rejects.toThrow(/has not fixed the scales/);
    const tallied = await segments('tally');
    const scales = await base.handler(
      { step: 'scales', run: baseRun },
      stepContext('insights-base'),
    );
    const scored = await segments('score');
    const again = await segments('score');
    const reduced = await reduce.handler(run, stepContext('insights-reduce'));

    const known = new Set(events.map((e) => e.customerId)).size;
    expect(tallied.reduce((sum, t) => sum + t.customers, 0)).toBe(known);
    expect(scales).toMatchObject({ step: 'scales', customers: known });
    expect(scored.reduce((sum, t) => sum + t.customers, 0)).toBe(known);
    // A retried segment of the same run is reused, not redone.
    expect(again.every((t) => 'reused' in t && t.reused)).toBe(true);

    expect(run).toMatchObject({ day: DAY, runId: 'sched-exec-1', shards: 16 });
    expect(items).toHaveLength(16);
    expect(mapped.reduce((sum, m) => sum + m.events, 0)).toBe(events.length);
    expect(reduced).toMatchObject({ day: DAY, runId: 'sched-exec-1', events: events.length });
    expect(reduced.customers).toBe(new Set(events.map((e) => e.customerId)).size);
  });

  it('refuses a base step without a known step or a segment out of range, with the field at fault', async () => {
    const base = await import('#functions/insights-base.ts');
    const run = { day: DAY, runId: 'r', segments: 16 };

    await expect(
      base.handler({ step: 'sort', run, segment: 0 }, stepContext('insights-base')),
    ).rejects.toThrow(/step/);
    await expect(
      base.handler({ step: 'tally', run, segment: 16 }, stepContext('insights-base')),
    ).rejects.toThrow(/16 segments; there is no segment 16/);
    await expect(
      base.handler(
        { step: 'tally', run: { ...run, segments: 48 }, segment: 0 },
        stepContext('insights-base'),
      ),
    ).rejects.toThrow(/segments/);
  });

  it('refuses to reduce a run whose shards are not all mapped, naming them', async () => {
    const reduce = await import('#functions/insights-reduce.ts');

    await expect(
      reduce.handler(
        { day: DAY, runId: 'never-mapped', shards: 16 },
        stepContext('insights-reduce'),
      ),
    ).rejects.toThrow(/has not mapped shard\(s\) 0, 1/);
  });

  it('refuses to map a shard with a count other than the day was written with (the plan is stale)', async () => {
    const map = await import('#functions/insights-map.ts');

    await expect(
      map.handler(
        { run: { day: DAY, runId: 'stale', shards: 32 }, shard: 20 },
        stepContext('insights-map'),
      ),
    ).rejects.toThrow(/written with 16 shards, not the 32 this run planned/);
  });

  it('rejects malformed input with the field at fault', async () => {
    const map = await import('#functions/insights-map.ts');

    await expect(
      map.handler({ run: { runId: 'x' }, shard: 1024 }, stepContext('insights-map')),
    ).rejects.toThrow(/shard/);
  });
});
