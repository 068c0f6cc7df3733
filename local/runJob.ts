/**
 * `npm run job -- <name> [--date YYYY-MM-DD] [--from YYYY-MM-DD] [--resume RUN_ID]`:
 * runs a scheduled job now, with the options the job takes (insights-nightly:
 * a day, a backfill from a day, or the resume of a killed run). When
 * `npm start` is running (on any `PORT`) it asks it to run the job (it owns
 * the emulators' data directory); otherwise it starts the local stack
 * itself, runs the job and stops.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { parseArgs } from 'node:util';
import { AppError } from '#lib/errors.ts';
import { callAdmin } from './adminClient.ts';
import { localJobs } from './jobs.ts';
import { startScheduler } from './scheduler.ts';
import { localSettings } from './settings.ts';
import { exitIfDataDirInUse, runningOrLocalStack } from './stack.ts';

const USAGE =
  'Usage: npm run job -- <name> [--date YYYY-MM-DD] [--from YYYY-MM-DD] [--resume RUN_ID]';
let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: { date: { type: 'string' }, from: { type: 'string' }, resume: { type: 'string' } },
  });
}
try {
  parsed = parse();
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const [name, ...extra] = parsed.positionals;
const options = Object.fromEntries(
  Object.entries(parsed.values).filter(([, value]) => value !== undefined),
);

if (!name || extra.length > 0) {
  const jobs = await localJobs();
  console.error(
    `${USAGE}\nJobs: ${jobs.map((j) => `${j.name} (${j.description})`).join(', ') || 'none yet'}`,
  );
  process.exit(2);
}

const { bridgeUrl, stack } = await runningOrLocalStack(localSettings()).catch(exitIfDataDirInUse);
if (bridgeUrl) {
  const { status, text } = await callAdmin(
    bridgeUrl,
    `/_local/jobs/${encodeURIComponent(name)}`,
    Object.keys(options).length > 0 ? options : undefined,
  );
  console.log(text);
  process.exit(status === 200 ? 0 : status < 500 ? 2 : 1);
}

const scheduler = startScheduler(await localJobs());
let code = 0;
try {
  const started = Date.now();
  const result = await scheduler.runNow(name, options);
  console.log(JSON.stringify({ job: name, durationMs: Date.now() - started, result }, null, 2));
} catch (error) {
  const issues = error instanceof AppError ? (error.issues ?? []) : [];
  console.error(
    [(error as Error).message, ...issues.map((i) => `  ${i.path}: ${i.message}`)].join('\n'),
  );
  code = error instanceof AppError && error.statusCode < 500 ? 2 : 1;
} finally {
  await scheduler.stop();
  await stack?.emulators.stop();
}
process.exit(code);
