import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildModel } from '#lib/model/builder/buildModel.ts';
import type { Manifest } from '#lib/model/manifest.ts';
import { publishModel } from '#lib/model/publish.ts';
import { testClients } from './clients.ts';

let built: Promise<string> | undefined;

/** Builds the tiny random-weight GPT-2 once per test file; returns its directory. */
export function tinyModelDir(): Promise<string> {
  built ??= (async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'muse-tiny-')), 'model');
    await buildModel({ shape: 'tiny', outDir: dir });
    return dir;
  })();
  return built;
}

/** Publishes the tiny model to the test bucket under a fresh id. */
export async function publishTinyModel(idPrefix = 'test/tiny'): Promise<Manifest> {
  const { s3, cfg } = testClients();
  const id = `${idPrefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  return publishModel({
    s3,
    bucket: cfg.modelBucket,
    dir: await tinyModelDir(),
    id,
    source: 'built:tiny',
    randomWeights: true,
  });
}
