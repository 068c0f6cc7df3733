import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { FUNCTION_READS, handlerEnv } from '#test/support/functionReads.ts';

/** A child process importing a handler: tsx start-up plus the module graph. */
const IMPORT_TIMEOUT_MS = 60_000;

/** Imports `functions/<name>.ts` in a fresh process whose environment holds only `vars`. */
function importWith(name: string, vars: readonly string[]) {
  const env = handlerEnv(vars);
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
