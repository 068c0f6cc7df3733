/**
 * `npm run seed -- --customers 2000 --days 30 --events 200000 [--seed 1] [--end ISO] [--language en|zh]`:
 * generates realistic demo behaviour and stores it through the events
 * ingestion code. With `npm start` running it posts to its `POST /events`
 * (that process owns the local DynamoDB); otherwise it starts the local stack
 * itself. The catalog, campaigns and customers go to `.data/seed/`, and the
 * catalog into the app table. `--language zh` seeds the Chinese demo shop
 * (its own ids: `cust-zh-…`, `camp-zh-…`, `item-zh-…`), so it can join an
 * English one: a mixed-language catalog.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { parseArgs } from 'node:util';
import { z } from 'zod';
import { LANGUAGES } from '#lib/model/language.ts';
import {
  httpSink,
  inProcessSink,
  storeDemoWorld,
  worldWriter,
  writeDemoWorld,
} from '#local/demo.ts';
import { localSettings } from '#local/settings.ts';
import { exitIfDataDirInUse, runningOrLocalStack } from '#local/stack.ts';
import { progressBar } from '#tools/cli/progress.ts';
import { loadDemoData } from '#tools/demo/load.ts';
import type { SeedOptions } from '#tools/demo/seed.ts';

const count = (what: string, max: number) =>
  z.coerce
    .number({ error: `--${what} must be a number` })
    .int({ error: `--${what} must be a whole number` })
    .min(1, { error: `--${what} must be at least 1` })
    .max(max, { error: `--${what} must be at most ${max}` });

const Args = z.object({
  customers: count('customers', 5_000_000).default(2000),
  days: count('days', 365).default(30),
  events: count('events', 50_000_000).default(200_000),
  seed: z.coerce.number().int().min(0).default(1),
  end: z.iso
    .datetime({ offset: true, error: '--end must be an ISO time such as 2026-11-23T00:00:00Z' })
    .optional(),
  language: z
    .enum(LANGUAGES, { error: `--language must be one of ${LANGUAGES.join(', ')}` })
    .default('en'),
});

const { values } = parseArgs({
  options: {
    customers: { type: 'string' },
    days: { type: 'string' },
    events: { type: 'string' },
    seed: { type: 'string' },
    end: { type: 'string' },
    language: { type: 'string' },
  },
});
const parsed = Args.safeParse(values);
if (!parsed.success) {
  console.error(parsed.error.issues.map((i) => i.message).join('\n'));
  console.error(
    'Usage: npm run seed -- --customers 2000 --days 30 --events 200000 [--seed 1] [--end ISO] [--language en|zh]',
  );
  process.exit(2);
}
const args = parsed.data;
// Default end: the start of the current hour, so every event is in the past.
const end = args.end
  ? new Date(args.end)
  : new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
const options: SeedOptions = {
  customers: args.customers,
  days: args.days,
  events: args.events,
  seed: args.seed,
  end,
  language: args.language,
};
const settings = localSettings();

const { bridgeUrl, stack } = await runningOrLocalStack(settings).catch(exitIfDataDirInUse);
const running = bridgeUrl !== undefined;

console.log(
  `Seeding ${options.events} ${args.language} demo events for ${options.customers} customers over ${options.days} days (seed ${options.seed}, ending ${end.toISOString()}) ${running ? `via ${bridgeUrl}/events` : 'into the local stack'} …`,
);
const bar = progressBar({ label: 'events', total: options.events, unit: 'count' });
let code = 0;
try {
  const result = await loadDemoData(running ? httpSink(bridgeUrl) : inProcessSink(), options, (n) =>
    bar.update(n),
  );
  bar.done();
  const dir = await writeDemoWorld(settings.dataDir, result.world, options);
  await storeDemoWorld(worldWriter(running ? bridgeUrl : undefined), result.world);
  console.log(
    `accepted ${result.accepted}, duplicates ${result.duplicates}, rejected ${result.rejected}, failed ${result.failed} ` +
      `in ${(result.elapsedMs / 1000).toFixed(1)} s (${Math.round(result.events / (result.elapsedMs / 1000))} events/s)`,
  );
  console.log(
    `catalog (${result.world.catalog.length} items, loaded into the app table with the campaigns' copy variants), campaigns and customers written to ${dir}/`,
  );
  if (result.failed > 0) code = 1;
} catch (error) {
  console.error(`Seeding failed: ${(error as Error).message}`);
  code = 1;
} finally {
  await stack?.emulators.stop();
}
process.exit(code);
