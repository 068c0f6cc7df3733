import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, startLocalStack } from '#local/stack.ts';

let stack: LocalStack | undefined;
let dataDir: string | undefined;

/**
 * Starts the real local emulators (the same code `npm start` uses) on free
 * ports with a throw-away data directory. Test workers inherit the env that
 * points `lib/config.ts` at them.
 */
export async function setup(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  dataDir = await mkdtemp(join(tmpdir(), 'muse-test-'));
  stack = await startLocalStack({ dataDir, inMemoryDynamo: true });
  Object.assign(process.env, stack.env);
}

export async function teardown(): Promise<void> {
  await stack?.emulators.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
}
