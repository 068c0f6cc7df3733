/**
 * `npm run insights -- [--date YYYY-MM-DD] [--from YYYY-MM-DD] [--resume RUN_ID]`:
 * runs the nightly insights job now, locally, for one UTC day (default:
 * yesterday) or every day from `--from` to `--date` in order (a backfill):
 * inside a running `npm start` (on any `PORT`) when there is one, else in a
 * local stack of its own. A new run re-reads every shard
 * (late events are picked up); `--resume` with a run id printed by a run that
 * was killed continues it, reusing the shards it finished.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { parseArgs } from 'node:util';
import { parseCsv, unescapeCell } from '#lib/insights/csv.ts';
import { nightlyDeps } from '#lib/insights/deps.ts';
import { type NightlyResult, runNightly } from '#lib/insights/nightly.ts';

import { callAdmin } from '#local/adminClient.ts';
import { NightlyRunOptions, nightlyRunDays } from '#local/jobs.ts';
import { localSettings } from '#local/settings.ts';
import { exitIfDataDirInUse, runningOrLocalStack } from '#local/stack.ts';
import { progressBar } from '#tools/cli/progress.ts';

const USAGE =
  'Usage: npm run insights -- [--date YYYY-MM-DD] [--from YYYY-MM-DD] [--resume RUN_ID]';
const given = (() => {
  try {
    const { values } = parseArgs({
      options: { date: { type: 'string' }, from: { type: 'string' }, resume: { type: 'string' } },
    });
    return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
})();
const parsed = NightlyRunOptions.safeParse(given);
if (!parsed.success) {
  console.error(parsed.error.issues.map((i) => i.message).join('\n'));
  console.error(USAGE);
  process.exit(2);
}
const { resume } = parsed.data;
const days = nightlyRunDays(parsed.data);
const date = days[days.length - 1] as string;
const runId = resume ?? `cli-${Date.now()}`;
const { bridgeUrl, stack } = await runningOrLocalStack(localSettings()).catch(exitIfDataDirInUse);
if (bridgeUrl) {
  // npm start owns the data: it runs the job (the same handlers), and this waits for it.
  console.log(
    `Nightly insights for ${days.length === 1 ? date : `${days[0]} … ${date}`}, run by the npm start at ${bridgeUrl} …`,
  );
  const { status, text } = await callAdmin(bridgeUrl, '/_local/jobs/insights-nightly', {
    date,
    ...(days.length > 1 ? { from: days[0] } : {}),
    ...(resume ? { resume } : {}),
  });
  console.log(text);
  process.exit(status === 200 ? 0 : 1);
}

let code = 0;
let current = date;
try {
  const deps = nightlyDeps();
  console.log(
    `Nightly insights for ${days.length === 1 ? date : `${days[0]} … ${date}`} (run ${runId}) …`,
  );
  // Each day is mapped with the shard count its events were written with, and its base
  // passed over in as many segments, twice (tally, then score).
  const layouts = await Promise.all(days.map((day) => deps.events.layoutOf(day)));
  const total = layouts.reduce((sum, l) => sum + 3 * l.shards, 0);
  const bar = progressBar({ label: 'shard and segment tasks', total, unit: 'count' });
  let done = 0;
  const started = performance.now();
  let last: NightlyResult | undefined;
  let events = 0;
  for (const day of days) {
    current = day;
    const step = () => bar.update(++done);
    last = await runNightly(deps, day, runId, step, step);
    events += last.events;
  }
  bar.done();
  const result = last as NightlyResult;
  console.log(
    `${events} events over ${days.length} day(s); on ${date}: ${result.customers} customer profiles updated, ` +
      `${result.campaigns.length} campaigns (${result.shards.reused.length} shards reused) in ${Math.round(performance.now() - started)} ms.`,
  );
  for (const c of result.campaigns) {
    console.log(
      `  ${c.campaignId}: ${c.variants.map((v) => `${v.variantId} CTR ${v.clickRate.rate === null ? '—' : `${(v.clickRate.rate * 100).toFixed(1)} %`} of ${v.delivered}${v.probabilityBest === undefined ? '' : ` (P best ${v.probabilityBest.toFixed(2)})`}`).join('; ')}${c.winner ? ` → winner ${c.winner}` : ''}`,
    );
  }
  const { signals } = result;
  console.log(
    `  signals over ${signals.daysWithData} day(s): neighbours for ${Object.keys(signals.neighbours).length} items, ` +
      `${signals.trending.length} trending (top: ${signals.trending[0]?.itemId ?? 'none'}), ` +
      `popular in ${Object.keys(signals.popularByCategory).length} categories.`,
  );
  const { base } = result;
  console.log(
    `  base: ${base.counts.customers} known customers; ${Object.entries(base.counts.segments)
      .map(([segment, n]) => `${segment} ${n}`)
      .join(', ')}.`,
  );
  // One customer from the top of the win-back list, as the insights URL serves them.
  const winback = await deps.reports.getCsv(date, 'winback');
  let sampleId: string | undefined;
  for await (const chunk of winback ?? []) {
    sampleId = parseCsv(chunk)[1]?.[0];
    if (sampleId !== undefined) break;
  }
  const sample =
    sampleId === undefined ? undefined : await deps.profiles.getSummary(unescapeCell(sampleId));
  if (sample) console.log(`  e.g. ${sample.customerId}: ${sample.text}`);
} catch (error) {
  console.error(
    `Insights failed on ${current}: ${(error as Error).message}. Resume with: npm run insights -- --date ${current} --resume ${runId}`,
  );
  code = 1;
} finally {
  await stack?.emulators.stop();
}
process.exit(code);
