import { ADMIN_HEADER } from './adminApi.ts';

/**
 * `npm run job -- <name>`: runs a scheduled job now. When `npm start` is
 * running it asks it to run the job (it owns the emulators' data directory);
 * otherwise it starts the local stack itself, runs the job and stops.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { localJobs } from './jobs.ts';
import { startScheduler } from './scheduler.ts';
import { localSettings } from './settings.ts';
import { startLocalStack } from './stack.ts';

const name = process.argv[2];
const settings = localSettings();

if (!name || name.startsWith('-')) {
  const jobs = await localJobs();
  console.error(
    `Usage: npm run job -- <name>\nJobs: ${jobs.map((j) => `${j.name} (${j.description})`).join(', ') || 'none yet'}`,
  );
  process.exit(2);
}

async function viaRunningStack(): Promise<boolean> {
  let response: Response;
  try {
    response = await fetch(
      `http://127.0.0.1:${settings.port}/_local/jobs/${encodeURIComponent(name as string)}`,
      { method: 'POST', headers: { 'content-type': 'application/json', ...ADMIN_HEADER } },
    );
  } catch {
    return false; // nothing listening: run it ourselves
  }
  const body = await response.text();
  console.log(body);
  process.exit(response.ok ? 0 : 1);
}

if (!(await viaRunningStack())) {
  const stack = await startLocalStack({ dataDir: settings.dataDir });
  Object.assign(process.env, stack.env);
  const scheduler = startScheduler(await localJobs());
  let code = 0;
  try {
    const started = Date.now();
    const result = await scheduler.runNow(name);
    console.log(JSON.stringify({ job: name, durationMs: Date.now() - started, result }, null, 2));
  } catch (error) {
    console.error((error as Error).message);
    code = 1;
  } finally {
    await scheduler.stop();
    await stack.emulators.stop();
  }
  process.exit(code);
}
