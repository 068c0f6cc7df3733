/**
 * Nightly-insights scale benchmark: a series of seeded days at 12,500,
 * 50,000 and 200,000 customers (~20 events each; one day each, 3,125
 * customers per shard at every size), side by side in one run:
 *  - the peak RSS of one task of each kind (a shard's map and profiles, a
 *    segment's tally, a segment's score), each alone in a fresh process as
 *    a Lambda invocation runs it: flat while customers per shard are;
 *  - whole-job time and events/s vs a raw parallel Query of the same
 *    partitions (the job as `npm start` runs it, 4 tasks at a time);
 *  - aggregation CPU (map, merge and reduce computations on events already
 *    in memory) as a share of the job;
 *  - where the CPU goes: the emulators' (this process, which hosts them)
 *    and the job child's, and the job/raw ratio that CPU would allow if it
 *    overlapped perfectly on this machine's cores (the ratio's ceiling).
 * Each size has its own app table, so its base is its own customers. The
 * seeded data stays in `.data/bench-insights/` so later runs skip seeding.
 */

import { access, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { documentClient, dynamoClient, s3Client } from '#lib/aws/clients.ts';
import { APP_TABLE } from '#lib/aws/resources.ts';
import { config } from '#lib/config.ts';
import { ENV } from '#lib/envNames.ts';
import { toStoredEvent } from '#lib/events/keys.ts';
import { checkEvent, type EngagementEvent } from '#lib/events/schema.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { ensureResources } from '#local/provision.ts';
import { startLocalStack } from '#local/stack.ts';
import { progressBar } from '#tools/cli/progress.ts';
import { buildWorld, demoEvents, type SeedOptions } from '#tools/demo/seed.ts';
import { median, runChild, table } from './lib.ts';

const DATA_DIR = '.data/bench-insights';
/**
 * The series: events, customers, shards and the (distinct, past) day each
 * is seeded on. Customers per shard stay at 3,125 (what the per-task
 * memory depends on) while the base grows 16×.
 */
const SIZES = [
  { events: 250_000, customers: 12_500, shards: 4, day: '2024-03-01' },
  { events: 1_000_000, customers: 50_000, shards: 16, day: '2024-03-02' },
  { events: 4_000_000, customers: 200_000, shards: 64, day: '2024-03-03' },
] as const;
type Size = (typeof SIZES)[number];

/** The app table of a size (its own base). */
const appTableOf = (size: Size) => `muse-app-bench-${size.customers}`;
const REPS = 3;
const BATCH = 500;
const CLIENT_CONCURRENCY = 4;

async function seed({ events, customers, day, shards }: Size): Promise<void> {
  const marker = join(DATA_DIR, `seeded-${day}-${events}-${shards}.json`);
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
        shards,
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
  mode: 'raw' | 'job' | 'cpu' | 'shard' | 'tally' | 'score',
  size: Size,
  runId: string,
  env: NodeJS.ProcessEnv,
  root?: string,
) {
  // The emulators run in this process, which does nothing else while a child runs: its CPU
  // over the child's run is what dynalite and s3rver spent serving it.
  const cpu0 = process.cpuUsage();
  const out = await runChild(
    ['--import', 'tsx', 'bench/insightsChild.ts', mode, size.day, runId, String(size.shards)],
    env,
    root,
  );
  const line = out.stdout.trim().split('\n').at(-1) ?? '';
  const spent = process.cpuUsage(cpu0);
  try {
    const result = JSON.parse(line) as Record<string, number>;
    return { ...result, emulatorCpuMs: (spent.user + spent.system) / 1000 };
  } catch {
    throw new Error(`insights child ${mode} failed (${out.code}): ${out.stderr.slice(-1500)}`);
  }
}

/** The sizes with these customer counts (every size when none given); refuses an unknown count. */
function sizesOf(customers?: readonly number[]): Size[] {
  if (!customers || customers.length === 0) return [...SIZES];
  const known = SIZES.map((s) => s.customers as number);
  const unknown = customers.filter((c) => !known.includes(c));
  if (unknown.length > 0) {
    throw new RangeError(
      `No insights bench size with ${unknown.join(', ')} customers; choose from ${known.join(', ')}.`,
    );
  }
  return SIZES.filter((s) => customers.includes(s.customers));
}

/** Seeds the benchmark's days (once; later runs find them in `.data/bench-insights/`). */
export async function prepareInsightsBench(sizes: readonly Size[] = SIZES): Promise<void> {
  await mkdir(DATA_DIR, { recursive: true });
  const stack = await startLocalStack({ dataDir: DATA_DIR });
  Object.assign(process.env, stack.env);
  try {
    for (const size of sizes) {
      await seed(size);
      await ensureResources({
        dynamo: dynamoClient(),
        s3: s3Client(),
        tables: [[APP_TABLE, appTableOf(size)]],
        buckets: [],
      });
    }
  } finally {
    await stack.emulators.stop();
  }
}

/**
 * Runs the insights benchmark; returns rows for the table and JSON. With
 * `compareRoot` (another checkout, e.g. a worktree of main) its nightly job
 * runs on the same data, interleaved with this one's, and the rows show
 * both and their ratio. `customers` picks sizes by customer count.
 */
export async function runInsightsBench(
  compareRoot?: string,
  reps = REPS,
  customers?: readonly number[],
): Promise<Record<string, unknown>> {
  const sizes = sizesOf(customers);
  await prepareInsightsBench(sizes);
  const stack = await startLocalStack({ dataDir: DATA_DIR });
  const env = { ...process.env, ...stack.env, POWERTOOLS_LOG_LEVEL: 'WARN' };
  const rows: Array<Record<string, string | number>> = [];
  const raw: Record<string, unknown> = {};
  try {
    for (const size of sizes) {
      const sized = { ...env, [ENV.appTable]: appTableOf(size) };
      const runs: Record<string, Record<string, number>[]> = {
        raw: [],
        job: [],
        cpu: [],
        shard: [],
        tally: [],
        score: [],
        before: [],
      };
      for (let rep = 0; rep < reps; rep++) {
        // Interleaved, so drift (disk cache, GC) hits each side alike.
        runs.raw?.push(await child('raw', size, 'raw', sized));
        if (compareRoot) {
          runs.before?.push(await child('job', size, `before-${Date.now()}`, sized, compareRoot));
        }
        const jobRun = `bench-${Date.now()}-${rep}`;
        runs.job?.push(await child('job', size, jobRun, sized));
        for (const kind of ['shard', 'tally', 'score'] as const) {
          runs[kind]?.push(await child(kind, size, jobRun, sized));
        }
        runs.cpu?.push(await child('cpu', size, 'cpu', sized));
      }
      const m = (key: string, field: string) =>
        median((runs[key] ?? []).map((r) => r[field] ?? Number.NaN));
      const rawRate = size.events / (m('raw', 'ms') / 1000);
      const jobRate = size.events / (m('job', 'ms') / 1000);
      // The best job/raw this machine allows for the CPU the job spends now (the child's and the
      // emulators', perfectly overlapped on its cores): what the ratio is bounded by.
      const demand = Math.max(
        m('job', 'emulatorCpuMs'),
        m('job', 'processCpuMs'),
        (m('job', 'emulatorCpuMs') + m('job', 'processCpuMs')) / availableParallelism(),
      );
      const taskPeak = Math.max(
        m('shard', 'peakRssMb'),
        m('tally', 'peakRssMb'),
        m('score', 'peakRssMb'),
      );
      rows.push({
        events: size.events,
        customers: m('job', 'baseCustomers'),
        shards: size.shards,
        'shard task MB': m('shard', 'peakRssMb'),
        'tally task MB': m('tally', 'peakRssMb'),
        'score task MB': m('score', 'peakRssMb'),
        'task peak MB': taskPeak,
        'shard task s': m('shard', 'ms') / 1000,
        'score task s': m('score', 'ms') / 1000,
        'raw Query s': m('raw', 'ms') / 1000,
        'job s': m('job', 'ms') / 1000,
        'map s': m('job', 'mapMs') / 1000,
        'base s': m('job', 'baseMs') / 1000,
        'final s': m('job', 'finishMs') / 1000,
        'job ev/s': Math.round(jobRate),
        'job/raw': jobRate / rawRate,
        'job peak MB': m('job', 'peakRssMb'),
        'CPU share': m('cpu', 'ms') / m('job', 'ms'),
        'raw emulator CPU s': m('raw', 'emulatorCpuMs') / 1000,
        'raw child CPU s': m('raw', 'processCpuMs') / 1000,
        'job emulator CPU s': m('job', 'emulatorCpuMs') / 1000,
        'job child CPU s': m('job', 'processCpuMs') / 1000,
        'job/raw ceiling': m('raw', 'ms') / demand,
        ...(compareRoot
          ? {
              'before job s': m('before', 'ms') / 1000,
              'job s ×': m('job', 'ms') / m('before', 'ms'),
              'before peak MB': m('before', 'peakRssMb'),
            }
          : {}),
      });
      raw[`${size.events}/${size.customers}/${size.shards}`] = runs;
    }
  } finally {
    await stack.emulators.stop();
  }
  console.log(`\nNightly insights (medians of ${reps}; 4 tasks at a time)`);
  const first = rows[0]?.['task peak MB'] as number;
  const last = rows.at(-1)?.['task peak MB'] as number;
  console.log(`per-task peak memory, largest / smallest base: ${(last / first).toFixed(2)}×`);
  console.log(table(rows));
  return { rows, runs: raw };
}
