/**
 * `npm start`: the whole Muse stack on one machine. Starts dynalite and s3rver
 * (data under `.data/`), creates missing tables and buckets, serves every
 * function through the HTTP bridge, and runs scheduled jobs on their cron.
 * Ctrl-C stops everything and flushes the emulators' data.
 */
// Lambda runs Node 22; the SDK's notice about this machine's Node 20 is noise locally.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createS3Client } from '#lib/aws/clients.ts';
import { parseConfig } from '#lib/config.ts';
import { ENV } from '#lib/envNames.ts';
import { LANGUAGES, type Language } from '#lib/model/language.ts';
import { progressBar } from '#tools/cli/progress.ts';
import { adminApi } from './adminApi.ts';
import { startBridge } from './bridge.ts';
import {
  backfillInsights,
  eventsTableEmpty,
  FIRST_START_SEED,
  seededLanguage,
  seedFirstStart,
  worldWriter,
} from './demo.ts';
import { DataDirInUseError } from './emulators.ts';
import { HTTP_FUNCTIONS } from './functions.ts';
import { localJobs } from './jobs.ts';
import { chooseLocalModel, chooseLocalZhModel, publishLocalModel } from './model.ts';
import { openApiApi } from './openapiApi.ts';
import { startScheduler } from './scheduler.ts';
import { localSettings } from './settings.ts';
import { announceBridge, startLocalStack } from './stack.ts';

// `npm start -- --language zh`: a first start seeds the Chinese demo shop instead of the English one.
const { values: args } = parseArgs({ options: { language: { type: 'string', default: 'en' } } });
if (!LANGUAGES.includes(args.language as Language)) {
  console.error(`--language must be one of ${LANGUAGES.join(', ')} (got "${args.language}").`);
  process.exit(2);
}
const language = args.language as Language;

const settings = localSettings();
const stack = await startLocalStack({
  dataDir: settings.dataDir,
  dynamoPort: settings.dynamoPort,
  s3Port: settings.s3Port,
}).catch((error: unknown) => {
  if (!(error instanceof DataDirInUseError)) throw error;
  console.error(error.message);
  process.exit(1);
});
// The handlers read their configuration from the environment, as in Lambda.
Object.assign(process.env, stack.env);

// The model: chosen here, published into the local S3, then loaded by the
// functions from S3 exactly as in Lambda.
// Chinese copy gets its own model (language: "zh" requests load it).
const model = await chooseLocalModel(settings.dataDir, (line) => console.log(line));
const zhModel = await chooseLocalZhModel(settings.dataDir);
{
  const cfg = parseConfig(process.env);
  const s3 = createS3Client(cfg);
  for (const [choice, variable, what] of [
    [model, ENV.modelId, 'Model'],
    [zhModel, ENV.modelIdZh, 'Chinese model'],
  ] as const) {
    const { version, uploaded } = await publishLocalModel(choice, s3, cfg.modelBucket);
    process.env[variable] = choice.id;
    console.log(
      `${what} ${choice.id}@${version} ${uploaded ? 'published to' : 'already in'} the local S3 (${choice.source}).`,
    );
  }
  s3.destroy();
  process.env[ENV.modelCacheDir] ??= join(settings.dataDir, 'cache', 'models');
}

// First start: seed a small demo data set through the events ingestion code,
// so insights and recommendations have something to work on.
if (await eventsTableEmpty()) {
  const end = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const seeded = await seedFirstStart(settings.dataDir, end, language);
  console.log(
    `Seeded demo data: ${seeded.accepted} events, ${FIRST_START_SEED.customers} customers, ${seeded.world.catalog.length} catalog items (${Math.round(seeded.elapsedMs)} ms; more with npm run seed).`,
  );
  const started = performance.now();
  const bar = progressBar({
    label: 'nightly insights',
    total: FIRST_START_SEED.days,
    unit: 'count',
  });
  const days = await backfillInsights(end, (done) => bar.update(done));
  bar.done(
    `Nightly insights run for the ${days} seeded days (${Math.round((performance.now() - started) / 1000)} s): profiles, recommendation signals and reports are ready.`,
  );
}

const scheduler = startScheduler(await localJobs());
const admin = adminApi(scheduler, worldWriter());
let bridge: Awaited<ReturnType<typeof startBridge>>;
const openapi = openApiApi(() => bridge.routes);
try {
  bridge = await startBridge({
    port: settings.port,
    functions: {
      ...HTTP_FUNCTIONS,
      local: async () => ({ api: admin, handler: admin.handler }),
      openapi: async () => ({ api: openapi, handler: openapi.handler }),
    },
  });
} catch (error) {
  await scheduler.stop();
  await stack.emulators.stop();
  const code = (error as NodeJS.ErrnoException).code;
  console.error(
    code === 'EADDRINUSE'
      ? `Port ${settings.port} is in use (another npm start?). Stop it or choose another with PORT=3001 npm start.`
      : `Could not start the HTTP bridge: ${(error as Error).message}`,
  );
  process.exit(1);
}

const base = bridge.url;
// The examples name a customer of the demo shop that was seeded (English or Chinese).
const shop = await seededLanguage(settings.dataDir);
const demoCustomer = shop === 'zh' ? 'cust-zh-00003' : 'cust-00003';
const zhNeed =
  shop === 'zh'
    ? ''
    : '   # Chinese items: npm start -- --language zh on a fresh .data/, or npm run seed -- --language zh';
// CLIs find this npm start by its data directory, whatever PORT it runs on.
const unannounce = await announceBridge(settings.dataDir, base);
const lines = [
  '',
  `Muse is running (local mode, data in ${settings.dataDir}/)`,
  `  DynamoDB (dynalite)  ${stack.emulators.dynamoEndpoint}`,
  `  S3 (s3rver)          ${stack.emulators.s3Endpoint}`,
  stack.provisioned.created.length > 0
    ? `  created              ${stack.provisioned.created.join(', ')}`
    : `  reused               ${stack.provisioned.existing.join(', ')}`,
  '',
  'Functions:',
  ...bridge.routes
    .filter((r) => r.functionName !== 'local')
    .map((r) => `  ${r.method.padEnd(6)} ${base}${r.path}   (${r.functionName})`),
  '',
  'Try:',
  `  curl -s ${base}/health`,
  `  curl -s ${base}/openapi.json   # the API description (OpenAPI 3.1)`,
  `  curl -s ${base}/generate -H 'content-type: application/json' -d '{"prompt":"Our spring sale starts","maxNewTokens":30,"n":2,"seed":1}'`,
  `  curl -s ${base}/generate -H 'content-type: application/json' -d '{"kind":"sms","product":{"name":"Trail Runner 2","features":["light","grippy"]},"customerId":"${demoCustomer}","n":2,"seed":1}'`,
  `  curl -s ${base}/recommend -H 'content-type: application/json' -d '{"customerId":"${demoCustomer}","k":5}'`,
  `  curl -s ${base}/generate -H 'content-type: application/json' -d '{"kind":"sms","language":"zh","product":{"name":"山野保温杯","features":["轻便","终身保修"],"price":199},"customerId":"${demoCustomer}","n":2,"seed":1}'`,
  `  curl -s ${base}/recommend -H 'content-type: application/json' -d '{"need":"保温杯","k":3}'${zhNeed}`,
  `  curl -s ${base}/events -H 'content-type: application/json' -d '[{"eventId":"e-1","customerId":"c-demo","type":"open","ts":"'$(date -u +%FT%TZ)'","channel":"email"}]'`,
  `  curl -s -X DELETE ${base}/customers/c-demo`,
  '',
  ...(model.randomWeights
    ? [
        '!! The model has RANDOM weights (Muse demo build): generated text is gibberish by design.',
        '!! For real copy, where the Hub is reachable: npm run model:fetch -- Xenova/gpt2, then restart.',
        '',
      ]
    : []),
  `Scheduled jobs: ${Object.keys(scheduler.nextRuns()).join(', ') || 'none yet'} (run one now: npm run job -- <name>; a day: npm run job -- insights-nightly --date YYYY-MM-DD)`,
  'Ctrl-C to stop.',
  '',
];
console.log(lines.join('\n'));

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping Muse…`);
  await unannounce();
  await scheduler.stop();
  await bridge.close();
  await stack.emulators.stop();
  console.log('Stopped cleanly; data kept in', `${settings.dataDir}/`);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
