import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { readManifest } from '#lib/model/cache.ts';
import { RUNTIME_FILES, weightsSha256 } from '#lib/model/manifest.ts';
import { progressBar } from '#tools/cli/progress.ts';
import { buildModel } from '#tools/model/builder/buildModel.ts';
import { hashFile, originOfDir, publishModel } from '#tools/model/publish.ts';

/** The id under which `npm start` publishes its own demo model. */
export const DEMO_MODEL_ID = 'muse/gpt2-distilgpt2-random';
/** The id under which `npm start` publishes its Chinese demo model (tiny shape, generated WordPiece vocabulary). */
export const DEMO_ZH_MODEL_ID = 'muse/gpt2-tiny-zh-random';

/** A model directory found or made for the local stack. */
export interface LocalModelChoice {
  id: string;
  dir: string;
  randomWeights: boolean;
  source: string;
}

async function isModelDir(dir: string): Promise<boolean> {
  try {
    await Promise.all(RUNTIME_FILES.map((f) => access(join(dir, f))));
    return true;
  } catch {
    return false;
  }
}

const randomWeights = async (dir: string) => originOfDir(dir, '').randomWeights;

/** Real models fetched into `<modelsDir>/<owner>/<name>/` (by `npm run model:fetch`). */
async function findRealModels(modelsDir: string): Promise<LocalModelChoice[]> {
  const found: LocalModelChoice[] = [];
  const owners = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
  for (const owner of owners.filter((d) => d.isDirectory())) {
    const names = await readdir(join(modelsDir, owner.name), { withFileTypes: true });
    for (const name of names.filter((d) => d.isDirectory())) {
      const dir = join(modelsDir, owner.name, name.name);
      if ((await isModelDir(dir)) && !(await randomWeights(dir))) {
        const id = `${owner.name}/${name.name}`;
        found.push({ id, dir, randomWeights: false, source: `hub:${id}` });
      }
    }
  }
  return found.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Chooses the model for `npm start`: `MUSE_LOCAL_MODEL_DIR` if set, else a
 * real GPT-2 already fetched into `.data/models/`, else the distilgpt2-shape
 * demo model with random weights (built once, reused after).
 */
export async function chooseLocalModel(
  dataDir: string,
  log: (line: string) => void,
): Promise<LocalModelChoice> {
  const modelsDir = join(dataDir, 'models');
  const explicit = process.env.MUSE_LOCAL_MODEL_DIR;
  if (explicit) {
    if (!(await isModelDir(explicit))) {
      throw new Error(
        `MUSE_LOCAL_MODEL_DIR=${explicit} is not a model directory (needs ${RUNTIME_FILES.join(', ')}).`,
      );
    }
    const id = process.env.MUSE_LOCAL_MODEL_ID ?? 'local/custom';
    return {
      id,
      dir: explicit,
      randomWeights: await randomWeights(explicit),
      source: `dir:${explicit}`,
    };
  }
  const real = await findRealModels(modelsDir);
  if (real[0]) return real[0];

  const dir = join(modelsDir, DEMO_MODEL_ID);
  if (!(await isModelDir(dir))) {
    log('No real GPT-2 found in .data/models/ and the Hugging Face Hub is not used at start;');
    log('building the distilgpt2-shape demo model with RANDOM weights once (≈ 10 s) …');
    const bar = progressBar({ label: '  build', total: 6, unit: 'count' });
    let files = 0;
    await buildModel({ shape: 'distilgpt2', outDir: dir, onProgress: () => bar.update(++files) });
    bar.done();
  }
  return { id: DEMO_MODEL_ID, dir, randomWeights: true, source: 'built:distilgpt2' };
}

/**
 * Chooses the model for Chinese copy: `MUSE_LOCAL_MODEL_ZH_DIR` if set (for
 * example an ONNX export of uer/gpt2-chinese-cluecorpussmall), else the
 * tiny Chinese demo model with random weights (built in well under a
 * second, reused after).
 */
export async function chooseLocalZhModel(dataDir: string): Promise<LocalModelChoice> {
  const explicit = process.env.MUSE_LOCAL_MODEL_ZH_DIR;
  if (explicit) {
    if (!(await isModelDir(explicit))) {
      throw new Error(
        `MUSE_LOCAL_MODEL_ZH_DIR=${explicit} is not a model directory (needs ${RUNTIME_FILES.join(', ')}).`,
      );
    }
    return {
      id: process.env.MUSE_LOCAL_MODEL_ZH_ID ?? 'local/custom-zh',
      dir: explicit,
      randomWeights: await randomWeights(explicit),
      source: `dir:${explicit}`,
    };
  }
  const dir = join(dataDir, 'models', DEMO_ZH_MODEL_ID);
  if (!(await isModelDir(dir))) await buildModel({ shape: 'tiny', tokenizer: 'zh', outDir: dir });
  return { id: DEMO_ZH_MODEL_ID, dir, randomWeights: true, source: 'built:tiny-zh' };
}

/**
 * Publishes the chosen model into the local S3 exactly as `npm run
 * model:publish` would, unless that version is already there and current.
 */
export async function publishLocalModel(
  choice: LocalModelChoice,
  s3: S3Client,
  bucket: string,
): Promise<{ version: string; uploaded: boolean }> {
  const published = await readManifest({ s3, bucket, id: choice.id, version: 'current' }).catch(
    () => undefined,
  );
  const localWeights = join(choice.dir, 'onnx/model_quantized.onnx');
  if (published && weightsSha256(published) === hashFile(localWeights)) {
    return { version: published.version, uploaded: false };
  }
  let bar: ReturnType<typeof progressBar> | undefined;
  const manifest = await publishModel({
    s3,
    bucket,
    dir: choice.dir,
    id: choice.id,
    source: choice.source,
    randomWeights: choice.randomWeights,
    onProgress: (_file, done, total) => {
      bar ??= progressBar({ label: '  publish', total, unit: 'bytes' });
      bar.update(done);
    },
  });
  bar?.done();
  return { version: manifest.version, uploaded: true };
}
