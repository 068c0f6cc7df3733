/**
 * `npm run insights -- [--date YYYY-MM-DD] [--from YYYY-MM-DD] [--resume RUN_ID]`:
 * runs the nightly insights job now, locally, for one UTC day (default:
 * yesterday) or every day from `--from` to `--date` in order (a backfill). A new run re-reads every shard
 * (late events are picked up); `--resume` with a run id printed by a run that
 * was killed continues it, reusing the shards it finished.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { daysFrom, yesterday } from '#lib/days.ts';
import { EVENT_SHARDS } from '#lib/events/keys.ts';
import { nightlyDeps } from '#lib/insights/deps.ts';
import { type NightlyResult, runNightly } from '#lib/insights/nightly.ts';
import { localSettings } from '#local/settings.ts';
import { startLocalStack } from '#local/stack.ts';
import { progressBar } from '#tools/cli/progress.ts';

const { values } = parseArgs({
  options: { date: { type: 'string' }, from: { type: 'string' }, resume: { type: 'string' } },
});
const Day = (flag: string) =>
  z.iso.date({ error: `--${flag} must be a UTC day such as 2026-11-22` });
const Args = z
  .object({
    date: Day('date').default(yesterday()),
    from: Day('from').optional(),
    resume: z
      .string()
      .regex(/^[\w.-]{1,64}$/, { error: '--resume takes a run id printed by an earlier run' })
      .optional(),
  })
  .refine((a) => !a.from || a.from <= a.date, { error: '--from must not be after --date' })
  .refine((a) => !(a.from && a.resume), { error: '--resume continues one day; drop --from' });
const parsed = Args.safeParse(values);
if (!parsed.success) {
  console.error(parsed.error.issues.map((i) => i.message).join('\n'));
  console.error(
    'Usage: npm run insights -- [--date YYYY-MM-DD] [--from YYYY-MM-DD] [--resume RUN_ID]',
  );
  process.exit(2);
}
const { date, from, resume } = parsed.data;
// Days in order: profiles and campaigns carry each day into the next.
const days = daysFrom(from ?? date, date);
const runId = resume ?? `cli-${Date.now()}`;
const stack = await startLocalStack({ dataDir: localSettings().dataDir }).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
Object.assign(process.env, stack.env);

let code = 0;
let current = date;
try {
  const deps = nightlyDeps();
  console.log(
    `Nightly insights for ${days.length === 1 ? date : `${days[0]} … ${date}`} (run ${runId}) …`,
  );
  const bar = progressBar({ label: 'shards', total: EVENT_SHARDS * days.length, unit: 'count' });
  let done = 0;
  const started = performance.now();
  let last: NightlyResult | undefined;
  let events = 0;
  for (const day of days) {
    current = day;
    last = await runNightly(deps, day, runId, () => bar.update(++done));
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
  const sample = base.summaries.find((s) => s.rfm?.segment === 'at_risk') ?? base.summaries[0];
  if (sample) console.log(`  e.g. ${sample.customerId}: ${sample.text}`);
} catch (error) {
  console.error(
    `Insights failed on ${current}: ${(error as Error).message}. Resume with: npm run insights -- --date ${current} --resume ${runId}`,
  );
  code = 1;
} finally {
  await stack.emulators.stop();
}
process.exit(code);
