/**
 * Bundle size and cold import time of every `functions/*.ts` handler, built
 * the way CDK builds it (`tools/bundle.ts`, settings from `infra/bundling.ts`),
 * with an esbuild metafile so the biggest input can be named. Another
 * checkout is bundled with this checkout's settings (so only the code differs). Cold import = a fresh `node` process that
 * imports the bundle (module evaluation included), median of 7.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bundleFunction } from '#tools/bundle.ts';
import { median } from './lib.ts';

/** Functions whose bundle ships the model runtime (onnxruntime-node beside it). */
const MODEL_FUNCTIONS = new Set(['generate', 'recommend']);
const IMPORT_RUNS = 7;

/** Dummy values for every variable a handler's config may require at import. */
const IMPORT_ENV: Record<string, string> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  MUSE_APP_TABLE: 'bench-app',
  MUSE_EVENTS_TABLE: 'bench-events',
  MUSE_MODEL_BUCKET: 'bench-models',
  MUSE_REPORTS_BUCKET: 'bench-reports',
  MUSE_MODEL_ID: 'bench/model',
  // A closed port: the model load started at import fails fast and is caught.
  MUSE_S3_ENDPOINT: 'http://127.0.0.1:9',
  MUSE_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  POWERTOOLS_LOG_LEVEL: 'ERROR',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** One function's bundle: bytes of the JS output and median cold import. */
export interface BundleRow {
  function: string;
  'bundle KB': number;
  'cold import ms (median of 7)': number;
  'largest input': string;
}

function coldImportMs(file: string): number {
  const runs: number[] = [];
  const script = `const t=performance.now();await import(${JSON.stringify(file)});process.stdout.write(String(performance.now()-t));process.exit(0);`;
  for (let i = 0; i < IMPORT_RUNS; i++) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, ...IMPORT_ENV },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`importing ${file} failed: ${child.stderr}`);
    runs.push(Number(child.stdout));
  }
  return median(runs);
}

/**
 * Builds every handler of the checkout at `root` (default: this one) and
 * measures it. Pass another checkout (a `git worktree` of an older commit,
 * with `node_modules` linked) to compare before and after in one run.
 */
export async function runBundlesBench(root = `${resolve('.')}/`): Promise<BundleRow[]> {
  const outDir = join(root, '.data/bench-bundles');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const names = (await readdir(join(root, 'functions')))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
  const rows: BundleRow[] = [];
  for (const name of names) {
    const { file, bytes, largest } = await bundleFunction(name, outDir, root);
    rows.push({
      function: `${name}${MODEL_FUNCTIONS.has(name) ? ' (model)' : ''}`,
      'bundle KB': Math.round(bytes / 1024),
      'cold import ms (median of 7)': Math.round(coldImportMs(file)),
      'largest input': largest,
    });
  }
  return rows;
}
