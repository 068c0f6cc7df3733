/**
 * Child process of the insights benchmark, so each measurement has its own
 * peak RSS. Talks to the parent's emulators through the MUSE_* environment
 * (the parent gives each size its own app table, so its base is its own).
 * `tsx bench/insightsChild.ts <mode> <day> <runId> <shards>` prints one JSON line:
 * - raw: parallel paginated Query of the day's shard partitions (the same
 *   concurrency as the job's shard tasks), items counted and dropped;
 * - job: the whole nightly job in one process as `npm start` runs it (shard
 *   tasks, the base's tally and score per segment, the final step), timed
 *   per stage;
 * - shard, tally, score: one task of the state machine alone, as one Lambda
 *   invocation would run it (shard 0 or segment 0, under a new run id; score
 *   uses the scales the job run `runId` fixed), for its peak memory;
 * - cpu: the aggregation alone: the day's events read into memory first
 *   (untimed), then the same map, merge and reduce computations with no I/O.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '#lib/async.ts';
import { documentClient } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import {
  DEFAULT_EVENT_SHARDS,
  dayLayout,
  dayShardKey,
  type StoredEvent,
} from '#lib/events/keys.ts';
import { assessBase } from '#lib/insights/base.ts';
import {
  assessBaseBySegment,
  BASE_FILES,
  scoreSegment,
  tallySegment,
} from '#lib/insights/baseJob.ts';
import { learnCampaigns } from '#lib/insights/campaigns.ts';
import { customersCsv, winbackCsv } from '#lib/insights/customersCsv.ts';
import { nightlyDeps } from '#lib/insights/deps.ts';
import { baseRunOf, finishDay, processDay, processShard } from '#lib/insights/nightly.ts';
import { emptyPartial, mapEvents, mergePartials, summarizePartial } from '#lib/insights/partial.ts';
import { applyDay } from '#lib/insights/profiles.ts';
import { buildReport } from '#lib/insights/report.ts';
import { renderReportHtml } from '#lib/insights/reportHtml.ts';
import { buildSignals, itemDayOf } from '#lib/insights/signals.ts';
import { peakRssMb } from './lib.ts';

/** Shards read at once: the job's map-stage default. */
export const SHARD_CONCURRENCY = 4;

const [mode, day = '', runId = 'bench', shardArg] = process.argv.slice(2);
// Each bench day is seeded with one shard count (one layout).
const layout = dayLayout([Number(shardArg ?? DEFAULT_EVENT_SHARDS)]);
const shards = Array.from({ length: layout.shards }, (_, i) => i);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function raw() {
  const doc = documentClient();
  const cpu0 = cpuMs();
  const t0 = performance.now();
  let total = 0;
  await mapLimit(shards, SHARD_CONCURRENCY, async (shard) => {
    const pages = paginateQuery(
      { client: doc },
      {
        TableName: config().eventsTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': dayShardKey(day, shard) },
      },
    );
    for await (const page of pages) total += page.Items?.length ?? 0;
  });
  return { ms: performance.now() - t0, events: total, processCpuMs: cpuMs() - cpu0 };
}

async function job() {
  const deps = nightlyDeps();
  const cpu0 = cpuMs();
  const t0 = performance.now();
  // The shard stage: map each shard and write its customers' profiles.
  const mapped = await processDay(deps, day, runId, { concurrency: SHARD_CONCURRENCY });
  const t1 = performance.now();
  const mapPeakRssMb = peakRssMb();
  // The whole base: tally and score each scan segment.
  const base = await assessBaseBySegment(deps, baseRunOf(mapped, runId), {
    concurrency: SHARD_CONCURRENCY,
  });
  const t2 = performance.now();
  const result = await finishDay(deps, mapped, runId);
  const t3 = performance.now();
  return {
    ms: t3 - t0,
    mapMs: t1 - t0,
    baseMs: t2 - t1,
    finishMs: t3 - t2,
    mapPeakRssMb,
    baseCustomers: base.counts.customers,
    processCpuMs: cpuMs() - cpu0,
    events: result.events,
    customers: result.customers,
  };
}

async function cpu() {
  const { events } = nightlyDeps();
  const byShard: StoredEvent[][] = [];
  await mapLimit(shards, SHARD_CONCURRENCY, async (shard) => {
    const list: StoredEvent[] = [];
    for await (const page of events.shardPages(day, shard, layout)) list.push(...page);
    byShard[shard] = list;
  });
  const t0 = performance.now();
  const partial = byShard.map((list) => mapEvents(list)).reduce(mergePartials, emptyPartial());
  const tMap = performance.now();
  const states = Object.entries(partial.customers).map(([id, c]) =>
    applyDay(undefined, id, day, c),
  );
  const base = await assessBase(async function* () {
    yield states;
  }, day);
  const report = buildReport(
    day,
    summarizePartial(partial),
    base.counts,
    learnCampaigns(partial.variants),
    {
      currency: 'USD',
      titles: new Map(),
      variantCopy: new Map(),
    },
  );
  customersCsv(base.summaries);
  winbackCsv(base.summaries);
  buildSignals(day, [itemDayOf(day, partial)], () => undefined);
  await renderReportHtml(report, []);
  const t1 = performance.now();
  return { ms: t1 - t0, mapMs: tMap - t0, events: partial.events };
}

/** One state-machine task alone, under a new run id (so nothing is reused). */
async function task(kind: 'shard' | 'tally' | 'score') {
  const deps = nightlyDeps();
  const fresh = `${runId}-${kind}-${Date.now()}`;
  const run = { day, runId: fresh, segments: layout.shards };
  if (kind === 'score') {
    // The scales the job run fixed, as this run's (the step before score).
    const scales = await deps.shards.getBaseWork(day, BASE_FILES.scales);
    if (!scales) throw new Error(`run the job first: ${day} has no fixed scales`);
    await deps.shards.putBaseWork(day, BASE_FILES.scales, { ...scales, runId: fresh });
  }
  const t0 = performance.now();
  const customers =
    kind === 'shard'
      ? (await processShard(deps, day, 0, fresh, layout)).summary.activeCustomers
      : kind === 'tally'
        ? (await tallySegment(deps, run, 0)).tally.customers
        : Object.values((await scoreSegment(deps, run, 0)).score.segments).reduce(
            (sum: number, n) => sum + (n ?? 0),
            0,
          );
  return { ms: performance.now() - t0, customers };
}

const modes: Record<string, () => Promise<Record<string, number>>> = {
  raw,
  job,
  cpu,
  shard: () => task('shard'),
  tally: () => task('tally'),
  score: () => task('score'),
};
const run = modes[mode ?? ''];
if (!run || !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
  console.error(
    'usage: tsx bench/insightsChild.ts <raw|job|cpu|shard|tally|score> <yyyy-mm-dd> [runId] [shards]',
  );
  process.exit(2);
}
const result = await run();
console.log(JSON.stringify({ ...result, peakRssMb: peakRssMb() }));
process.exit(0);
