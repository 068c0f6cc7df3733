/**
 * Nightly-insights benchmark on seeded days of 250,000 and 1,000,000 events
 * (one day each), side by side in one run:
 *  - aggregation CPU (map, merge and reduce computations on events already
 *    in memory) as a share of the end-to-end job time;
 *  - end-to-end events/s (map stage alone, and the whole job) vs a raw
 *    parallel Query of the same 16 partitions;
 *  - the job's peak RSS at both sizes (bounded: it holds a page of events
 *    plus per-customer state, not the day's events).
 * The seeded data stays in `.data/bench-insights/` so later runs skip
 * seeding (about 25 minutes here). Each measurement runs in a child process.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { documentClient } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { toStoredEvent } from '#lib/events/keys.ts';
import { checkEvent, type EngagementEvent } from '#lib/events/schema.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { startLocalStack } from '#local/stack.ts';
import { progressBar } from '#tools/cli/progress.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';
import { median, runChild, table } from './lib.ts';

const DATA_DIR = '.data/bench-insights';
/**
 * Event counts, active customers and the (distinct, past) day each is
 * seeded on: 4× the events for the same customers (memory should not
 * follow events), and 4× the customers (the job's state is per customer).
 */
const SIZES = [
  { events: 250_000, customers: 12_500, day: '2024-02-01' },
  { events: 1_000_000, customers: 12_500, day: '2024-02-03' },
  { events: 1_000_000, customers: 50_000, day: '2024-02-02' },
] as const;
const REPS = 3;
const BATCH = 500;
const CLIENT_CONCURRENCY = 4;

async function seed(events: number, customers: number, day: string): Promise<void> {
  const marker = join(DATA_DIR, `seeded-${day}-${events}.json`);
  if (
    await access(marker).then(
      () => true,
      () => false,
    )
  ) {
    return;
  }
  const options: SeedOptions = {
    customers,
    days: 1,
    events,
    seed: 7,
    end: new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000),
  };
  const store = new DynamoEventStore(documentClient(), config().eventsTable);
  // Judged as of the day after the seeded day, as a live shop would send them.
  const clock = { now: options.end, retentionDays: 36500 };
  const bar = progressBar({ label: `seed ${day}`, total: events, unit: 'count' });
  const inFlight = new Set<Promise<unknown>>();
  let batch: EngagementEvent[] = [];
  let sent = 0;
  const flush = async () => {
    const size = batch.length;
    // Seeding is setup, not what is measured: validated, then bulk-loaded (no conditional puts).
    const checked = batch.map((e) => checkEvent(e, clock));
    if (checked.some((c) => !c.ok)) throw new Error('seeding made an invalid event');
    const stored = checked.map((c) =>
      toStoredEvent((c as { event: EngagementEvent }).event, {
        receivedAt: clock.now,
        retentionDays: clock.retentionDays,
      }),
    );
    const p = store.importNew(stored).then(() => {
      sent += size;
      bar.update(Math.min(sent, events));
    });
    batch = [];
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
    if (inFlight.size >= CLIENT_CONCURRENCY) await Promise.race(inFlight);
  };
  for (const event of demoEvents(buildWorld(options), options)) {
    batch.push(event);
    if (batch.length === BATCH) await flush();
  }
  if (batch.length > 0) await flush();
  await Promise.all(inFlight);
  bar.done();
  await writeFile(marker, JSON.stringify({ options }));
}

async function child(
  mode: 'raw' | 'job' | 'cpu',
  day: string,
  runId: string,
  env: NodeJS.ProcessEnv,
  root?: string,
) {
  const out = await runChild(
    ['--import', 'tsx', 'bench/insightsChild.ts', mode, day, runId],
    env,
    root,
  );
  const line = out.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, number>;
  } catch {
    throw new Error(`insights child ${mode} failed (${out.code}): ${out.stderr.slice(-1500)}`);
  }
}

/** Seeds the benchmark's days (once; later runs find them in `.data/bench-insights/`). */
export async function prepareInsightsBench(): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
  const stack = await startLocalStack({ dataDir: DATA_DIR });
  Object.assign(process.env, stack.env);
  try {
    for (const size of SIZES) await seed(size.events, size.customers, size.day);
  } finally {
    await stack.emulators.stop();
  }
}

/**
 * Runs the insights benchmark; returns rows for the table and JSON. With
 * `compareRoot` (another checkout, e.g. a worktree of main) its nightly job
 * runs on the same data, interleaved with this one's, and the rows show
 * both and their ratio.
 */
export async function runInsightsBench(
  compareRoot?: string,
  reps = REPS,
): Promise<Record<string, unknown>> {
  await prepareInsightsBench();
  const stack = await startLocalStack({ dataDir: DATA_DIR });
  const env = { ...process.env, ...stack.env, POWERTOOLS_LOG_LEVEL: 'WARN' };
  const rows: Array<Record<string, string | number>> = [];
  const raw: Record<string, unknown> = {};
  try {
    for (const size of SIZES) {
      const runs = {
        raw: [] as Record<string, number>[],
        job: [] as Record<string, number>[],
        cpu: [] as Record<string, number>[],
        before: [] as Record<string, number>[],
      };
      for (let rep = 0; rep < reps; rep++) {
        // Interleaved, so drift (disk cache, GC) hits each side alike.
        runs.raw.push(await child('raw', size.day, 'raw', env));
        if (compareRoot) {
          runs.before.push(await child('job', size.day, `before-${Date.now()}`, env, compareRoot));
        }
        runs.job.push(await child('job', size.day, `bench-${Date.now()}-${rep}`, env));
        runs.cpu.push(await child('cpu', size.day, 'cpu', env));
      }
      const m = (list: Record<string, number>[], key: string) =>
        median(list.map((r) => r[key] ?? Number.NaN));
      const rawRate = size.events / (m(runs.raw, 'ms') / 1000);
      const mapRate = size.events / (m(runs.job, 'mapMs') / 1000);
      const jobRate = size.events / (m(runs.job, 'ms') / 1000);
      rows.push({
        events: size.events,
        customers: m(runs.job, 'customers'),
        'raw Query ev/s': Math.round(rawRate),
        'map stage ev/s': Math.round(mapRate),
        'map/raw': mapRate / rawRate,
        'job ev/s': Math.round(jobRate),
        'job/raw': jobRate / rawRate,
        'job s': m(runs.job, 'ms') / 1000,
        'aggregation CPU s': m(runs.cpu, 'ms') / 1000,
        'CPU share': m(runs.cpu, 'ms') / m(runs.job, 'ms'),
        'map peak MB': m(runs.job, 'mapPeakRssMb'),
        'job peak MB': m(runs.job, 'peakRssMb'),
        'all-in-memory peak MB': m(runs.cpu, 'peakRssMb'),
        ...(compareRoot
          ? {
              'before job s': m(runs.before, 'ms') / 1000,
              'job s ×': m(runs.job, 'ms') / m(runs.before, 'ms'),
              'before peak MB': m(runs.before, 'peakRssMb'),
            }
          : {}),
      });
      raw[`${size.events}/${size.customers}`] = runs;
    }
  } finally {
    await stack.emulators.stop();
  }
  console.log(`\nNightly insights (medians of ${reps}; 16 shards, ${4} at a time)`);
  console.log(table(rows));
  return { rows, runs: raw };
}
