import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '#local/stack.ts';

let stack: LocalStack | undefined;
let runDir: string | undefined;

/**
 * Starts the real local emulators (the same code `npm start` uses) on free
 * ports with a throw-away data directory. Test workers inherit the env that
 * points `lib/config.ts` at them, and a `TMPDIR` of this run's own, so every
 * temporary directory a test (or a process it starts) makes is removed with
 * the run instead of piling up in /tmp.
 */
export async function setup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  runDir = await mkdtemp(join(tmpdir(), 'muse-test-'));
  process.env.TMPDIR = runDir;
  const dataDir = join(runDir, 'data');
  stack = await startLocalStack({ dataDir, inMemoryDynamo: true });
  Object.assign(process.env, stack.env);
}

export async function teardown(): Promise<void> {
  await stack?.emulators.stop();
  if (runDir) await rm(runDir, { recursive: true, force: true });
}
