/**
 * `npm run insights -- --date YYYY-MM-DD [--resume RUN_ID]`: runs the nightly
 * insights job for one UTC day now, locally. A new run re-reads every shard
 * (late events are picked up); `--resume` with a run id printed by a run that
 * was killed continues it, reusing the shards it finished.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { progressBar } from '#lib/cli/progress.ts';
import { EVENT_SHARDS } from '#lib/events/keys.ts';
import { learnCampaigns } from '#lib/insights/campaigns.ts';
import { nightlyDeps, yesterday } from '#lib/insights/deps.ts';
import { mapDay } from '#lib/insights/mapDay.ts';
import { reduceDay } from '#lib/insights/nightly.ts';
import { localSettings } from '#local/settings.ts';
import { startLocalStack } from '#local/stack.ts';

const { values } = parseArgs({ options: { date: { type: 'string' }, resume: { type: 'string' } } });
const Args = z.object({
  date: z.iso.date({ error: '--date must be a UTC day such as 2026-11-22' }).default(yesterday()),
  resume: z
    .string()
    .regex(/^[\w.-]{1,64}$/, { error: '--resume takes a run id printed by an earlier run' })
    .optional(),
});
const parsed = Args.safeParse(values);
if (!parsed.success) {
  console.error(parsed.error.issues.map((i) => i.message).join('\n'));
  console.error('Usage: npm run insights -- --date YYYY-MM-DD [--resume RUN_ID]');
  process.exit(2);
}
const { date, resume } = parsed.data;
const runId = resume ?? `cli-${Date.now()}`;
const stack = await startLocalStack({ dataDir: localSettings().dataDir }).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
Object.assign(process.env, stack.env);

let code = 0;
try {
  console.log(`Nightly insights for ${date} (run ${runId}) …`);
  const deps = nightlyDeps();
  const bar = progressBar({ label: 'shards', total: EVENT_SHARDS, unit: 'count' });
  let done = 0;
  const started = performance.now();
  const mapped = await mapDay({ events: deps.events, shards: deps.shards }, date, {
    runId,
    onShard: () => bar.update(++done),
  });
  bar.done();
  const summaries = await reduceDay(deps, mapped);
  const campaigns = learnCampaigns(mapped.partial.variants);
  console.log(
    `${mapped.partial.events} events, ${summaries.length} customer profiles updated, ${campaigns.length} campaigns ` +
      `(${mapped.reused.length} shards reused) in ${Math.round(performance.now() - started)} ms.`,
  );
  for (const c of campaigns) {
    console.log(
      `  ${c.campaignId}: ${c.variants.map((v) => `${v.variantId} CTR ${(v.clickRate.rate * 100).toFixed(1)} % of ${v.delivered} (P best ${v.probabilityBest.toFixed(2)})`).join('; ')}${c.winner ? ` → winner ${c.winner}` : ''}`,
    );
  }
  const sample = summaries.find((s) => s.rfm?.segment === 'champions') ?? summaries[0];
  if (sample) console.log(`  e.g. ${sample.customerId}: ${sample.text}`);
} catch (error) {
  console.error(
    `Insights failed: ${(error as Error).message}. Resume with: npm run insights -- --date ${date} --resume ${runId}`,
  );
  code = 1;
} finally {
  await stack.emulators.stop();
}
process.exit(code);
