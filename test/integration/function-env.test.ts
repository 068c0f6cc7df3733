import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FUNCTION_READS } from '#test/support/functionReads.ts';

/** A child process importing a handler: tsx start-up plus the module graph. */
const IMPORT_TIMEOUT_MS = 60_000;

const VALUES: Record<string, string> = {
  MUSE_MODEL_ID: 'test/model',
  MUSE_EVENT_RETENTION_DAYS: '400',
  MUSE_MODEL_CACHE_DIR: '/tmp/muse-env-test',
};

/** Imports `functions/<name>.ts` in a fresh process whose environment holds only `vars`. */
function importWith(name: string, vars: readonly string[]) {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // A closed port: a model load started at import fails, and is caught.
    MUSE_S3_ENDPOINT: 'http://127.0.0.1:9',
    MUSE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  };
  for (const v of vars) env[v] = VALUES[v] ?? `test-${v.toLowerCase()}`;
  return spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `await import('./functions/${name}.ts'); process.exit(0);`,
    ],
    { env, encoding: 'utf8', timeout: IMPORT_TIMEOUT_MS },
  );
}

describe('handler configuration', () => {
  it.each(Object.entries(FUNCTION_READS))(
    '%s loads with only the variables it reads',
    (name, { reads }) => {
      const child = importWith(name, reads);

      expect(child.stderr).toBe('');
      expect(child.status).toBe(0);
    },
  );

  it('fails its cold start naming a variable it reads but lacks', () => {
    const child = importWith('insights', ['MUSE_APP_TABLE']);

    expect(child.status).not.toBe(0);
    expect(child.stderr).toMatch(/MUSE_REPORTS_BUCKET is required/);
  });
});
