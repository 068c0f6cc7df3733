import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FUNCTION_READS, handlerEnv } from '#test/support/functionReads.ts';
import { bundleFunction } from '#tools/bundle.ts';

/** Bundling one handler and importing it in a fresh process. */
const BUNDLE_TIMEOUT_MS = 90_000;

// Inside the checkout, so the bundle's externals (AWS SDK, onnxruntime) resolve as on Lambda.
mkdirSync(join(process.cwd(), '.data'), { recursive: true });
const OUT_DIR = mkdtempSync(join(process.cwd(), '.data', 'bundle-test-'));
const HANDLERS = readdirSync('functions').map((f) => f.replace(/\.ts$/, ''));
afterAll(() => rmSync(OUT_DIR, { recursive: true, force: true }));

describe('deployed bundles', () => {
  it.each(HANDLERS)(
    '%s: the bundle CDK would deploy imports and exports a handler',
    async (name) => {
      const { file } = await bundleFunction(name, OUT_DIR);
      // Its own variables; a model id so the model functions start their load.
      const env = handlerEnv([...(FUNCTION_READS[name]?.reads ?? []), 'MUSE_MODEL_ID']);

      const child = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(file)}); process.stdout.write(typeof m.handler); process.exit(0);`,
        ],
        { env, encoding: 'utf8', timeout: BUNDLE_TIMEOUT_MS },
      );

      // The tail only: a failure's first line is a line of minified bundle.
      expect(child.stderr.slice(-600)).toBe('');
      expect(child.stdout).toBe('function');
    },
    BUNDLE_TIMEOUT_MS,
  );
});
