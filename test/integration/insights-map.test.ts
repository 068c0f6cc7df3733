import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { KEYS } from '#lib/aws/resources.ts';
import { getText } from '#lib/aws/s3json.ts';
import { DynamoCatalogStore } from '#lib/catalog/store.ts';
import { ingestEntries } from '#lib/events/ingest.ts';
import type { EngagementEvent } from '#lib/events/schema.ts';
import { DynamoEventStore, type EventStore } from '#lib/events/store.ts';
import { assessBase } from '#lib/insights/base.ts';
import { assessBaseBySegment } from '#lib/insights/baseJob.ts';
import { parseCsv } from '#lib/insights/csv.ts';
import { customersCsv, winbackCsv } from '#lib/insights/customersCsv.ts';
import { S3ShardStore, type ShardStore } from '#lib/insights/mapDay.ts';
import { processDay } from '#lib/insights/nightly.ts';
import {
  type DaySummary,
  emptySummary,
  mapEvents,
  summarizePartial,
} from '#lib/insights/partial.ts';
import { DynamoProfileStore } from '#lib/insights/profileStore.ts';
import { applyDay, type ProfileState } from '#lib/insights/profiles.ts';
import { S3ReportStore } from '#lib/insights/report.ts';
import { testClients, testConfig } from '#test/support/clients.ts';
import { ownAppTable } from '#test/support/ownTables.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';

// A day no other test file writes to, so this file owns every shard of it.
const DAY = '2025-06-15';
const options: SeedOptions = {
  customers: 80,
  days: 1,
  events: 1500,
  seed: 11,
  end: new Date('2025-06-16T00:00:00Z'),
};
const clock = { now: new Date('2025-06-16T12:00:00Z'), retentionDays: 3650 };
const events = [...demoEvents(buildWorld(options), options)].map((e) => ({
  ...e,
  customerId: `map-${e.customerId}`,
}));

let store: DynamoEventStore;
let shards: ShardStore;

beforeAll(async () => {
  // Profiles of this file only: the base pass below compares whole-table scans.
  await ownAppTable('map');
  store = new DynamoEventStore(documentClient(), testConfig().eventsTable);
  shards = new S3ShardStore(testClients().s3, testConfig().reportsBucket);
  for (let i = 0; i < events.length; i += 500)
    await ingestEntries(store, events.slice(i, i + 500), clock);
});

/** An event store whose reads of one shard fail once (a killed worker). */
function failingOnce(inner: EventStore, shard: number): EventStore & { reads: number[] } {
  let failed = false;
  const reads: number[] = [];
  return {
    reads,
    putNew: (e) => inner.putNew(e),
    customerEvents: (c, o) => inner.customerEvents(c, o),
    customerHistory: (c, n) => inner.customerHistory(c, n),
    deleteCustomerEvents: (c) => inner.deleteCustomerEvents(c),
    layoutOf: (day) => inner.layoutOf(day),
    shardPages(day, s, layout) {
      reads.push(s);
      if (s === shard && !failed) {
        failed = true;
        throw new Error('killed');
      }
      return inner.shardPages(day, s, layout);
    },
  };
}

/** The day's sums but attribution (checked by the nightly tests, which keep deliveries). */
const sumsOf = ({ attributed: _a, ...sums }: DaySummary) => sums;
const iso = (list: EngagementEvent[]) =>
  list.map((e) => ({ ...e, ts: new Date(e.ts).toISOString() }));
const noErasures = { pending: async () => [], complete: async () => {} };

describe('nightly shard tasks over dynalite and s3rver', () => {
  const profiles = () => new DynamoProfileStore(documentClient(), testConfig().appTable);
  const processed = (events: EventStore, runId: string, concurrency?: number) =>
    processDay(
      { events, shards, profiles: profiles(), erasures: noErasures },
      DAY,
      runId,
      concurrency ? { concurrency } : {},
    );
  /** What one pass over all the day's events gives: its sums and each customer's profile. */
  const single = (list: EngagementEvent[]) => {
    const whole = mapEvents(iso(list));
    const states = new Map(
      Object.entries(whole.customers).map(([id, c]) => [id, applyDay(undefined, id, DAY, c)]),
    );
    return { sums: sumsOf(summarizePartial(whole)), states };
  };
  const storedStates = async (ids: Iterable<string>) => profiles().getStates([...ids]);

  it('processes the day’s shards to exactly the sums and profiles of one pass over all its events', async () => {
    const day = await processed(store, 'run-a');
    const expected = single(events);

    expect(day.processed).toHaveLength(16);
    expect(sumsOf(day.summary)).toEqual(expected.sums);
    expect(await storedStates(expected.states.keys())).toEqual(expected.states);
  });

  it('gives identical output when run twice (no doubled counts)', async () => {
    const first = await processed(store, 'run-b');
    const second = await processed(store, 'run-c');

    expect(second.summary).toEqual(first.summary);
    expect(second.summary.events).toBe(events.length);
    const expected = single(events);
    expect(await storedStates(expected.states.keys())).toEqual(expected.states);
  });

  it('resumes a killed run from its saved shards and ends equal to an uninterrupted run', async () => {
    const uninterrupted = await processed(store, 'run-d');
    const flaky = failingOnce(store, 9);

    await expect(processed(flaky, 'run-e', 1)).rejects.toThrow('killed');
    const resumed = await processed(flaky, 'run-e', 1);

    expect(resumed.summary).toEqual(uninterrupted.summary);
    expect(resumed.reused).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(flaky.reads.filter((s) => s < 9)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]); // never read twice
  });

  it('picks up a late event for the day when the day is run again', async () => {
    const before = await processed(store, 'run-f');
    const late: EngagementEvent = {
      eventId: 'late-1',
      customerId: 'map-late',
      type: 'view',
      ts: `${DAY}T22:00:00Z`,
      itemId: 'item-x',
    };
    await ingestEntries(store, [late], clock);

    const after = await processed(store, 'run-g');

    expect(after.summary.events).toBe(before.summary.events + 1);
    expect(after.summary.activeCustomers).toBe(before.summary.activeCustomers + 1);
    expect((await storedStates(['map-late'])).get('map-late')?.days[DAY]?.counts.view).toBe(1);
  });

  it('reads days written with 16, with 32 and with both shard counts, and a per-shard backfill of them equals one pass over each whole day (summaries and profiles)', async () => {
    const days = ['2025-06-20', '2025-06-21', '2025-06-22'];
    const ofDay = (day: string, seed: number) => {
      const o = { ...options, seed, end: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000) };
      return [...demoEvents(buildWorld(o), o)].map((e) => ({
        ...e,
        eventId: `${day}-${e.eventId}`,
        customerId: `layout-${e.customerId}`,
      }));
    };
    const [sixteen, thirtyTwo, both] = days.map((day, i) => ofDay(day, 30 + i)) as [
      EngagementEvent[],
      EngagementEvent[],
      EngagementEvent[],
    ];
    const later = { now: new Date('2025-06-23T12:00:00Z'), retentionDays: 3650 };
    const write = async (list: EngagementEvent[], shards: number) => {
      for (let i = 0; i < list.length; i += 500)
        await ingestEntries(store, list.slice(i, i + 500), { ...later, shards });
    };
    await write(sixteen, 16);
    await write(thirtyTwo, 32);
    // The setting changed during the day: its first half with 16 shards, the rest with 32.
    await write(both.slice(0, both.length / 2), 16);
    await write(both.slice(both.length / 2), 32);

    expect(await store.layoutOf(days[2] as string)).toEqual({ counts: [16, 32], shards: 32 });

    // The backfill as the job runs it (per shard: map, then that shard's profiles) equals one pass over each whole day.
    const profiles = new DynamoProfileStore(documentClient(), testConfig().appTable);
    const erasures = { pending: async () => [], complete: async () => {} };
    const deps = { events: store, shards, profiles, erasures };
    const summaries = [];
    for (const day of days) summaries.push(await processDay(deps, day, `backfill-${day}`));
    expect(summaries.map((r) => r.shards)).toEqual([16, 32, 32]);
    const expected = new Map<string, ProfileState>();
    for (const [i, list] of [sixteen, thirtyTwo, both].entries()) {
      const whole = mapEvents(list.map((e) => ({ ...e, ts: new Date(e.ts).toISOString() })));
      // Attribution is checked by the nightly tests; here, every other sum of the day.
      const { attributed: _a, ...perShard } = summaries[i]?.summary ?? emptySummary();
      const { attributed: _b, ...single } = summarizePartial(whole);
      expect(perShard).toEqual(single);
      for (const [id, c] of Object.entries(whole.customers)) {
        expected.set(id, applyDay(expected.get(id), id, days[i] as string, c));
      }
    }
    const stored = await profiles.getStates([...expected.keys()]);
    expect(stored.size).toBe(expected.size);
    for (const [id, state] of expected) expect(stored.get(id)).toEqual(state);
  });

  it('passes over the base by scan segments exactly as one pass over the whole base, for any split of the customers (counts, scales and both lists)', async () => {
    // The profiles the backfill above wrote (this file's own app table).
    const cfg = testConfig();
    const profiles = new DynamoProfileStore(documentClient(), cfg.appTable);
    const deps = {
      shards,
      profiles,
      reports: new S3ReportStore(testClients().s3, cfg.reportsBucket),
      catalog: new DynamoCatalogStore(documentClient(), cfg.appTable),
      erasures: { pending: async () => [] },
    };
    const day = '2025-06-22';
    const whole = await assessBase(() => profiles.scanStates(), day);
    expect(whole.counts.customers).toBeGreaterThan(50);
    const catalog = await deps.catalog.getItems(
      whole.summaries.flatMap((s) => s.topItems.map((i) => i.itemId)),
    );
    const rowsOf = (csv: string) => parseCsv(csv).slice(1);
    const byId = (rows: string[][]) =>
      [...rows].sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
    const expected = {
      customers: rowsOf(customersCsv(whole.summaries, catalog)),
      winback: rowsOf(winbackCsv(whole.summaries, catalog)),
    };
    let run = 0;

    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (segments) => {
        const baseRun = { day, runId: `segments-${segments}-${run++}`, segments };
        const base = await assessBaseBySegment(deps, baseRun, { concurrency: 8 });

        expect(base.counts).toEqual(whole.counts);
        expect(base.tally.scales.now).toEqual(whole.scales);
        for (const list of ['customers', 'winback'] as const) {
          const parts: string[][][] = [];
          for (let part = 0; part < segments; part++) {
            const text = await getText(
              testClients().s3,
              cfg.reportsBucket,
              KEYS.reportPart(day, list, part),
            );
            parts.push(rowsOf(text ?? ''));
          }
          // Every known customer in exactly one part, with the single pass's cells…
          expect(byId(parts.flat())).toEqual(byId(expected[list]));
          // …and each part in its list's order: by id, or highest lifetime value first.
          for (const rows of parts) {
            const order =
              list === 'customers'
                ? byId(rows)
                : [...rows].sort(
                    (a, b) =>
                      Number(b[7]) - Number(a[7]) ||
                      Number(b[6]) - Number(a[6]) ||
                      (a[0] ?? '').localeCompare(b[0] ?? ''),
                  );
            expect(rows).toEqual(order);
          }
        }
      }),
      { numRuns: 6 },
    );
  });
});
