import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  CurrentPointer,
  currentKey,
  Manifest,
  type ManifestFile,
  modelPrefix,
  RUNTIME_FILES,
} from '#lib/model/manifest.ts';

/** Where and what to publish. */
export interface PublishOptions {
  s3: S3Client;
  bucket: string;
  /** Local model directory in the transformers.js layout. */
  dir: string;
  /** Model id, e.g. `Xenova/gpt2` or `muse/gpt2-distilgpt2-random`. */
  id: string;
  /** Version label; defaults to the first 12 hex chars of the weights' sha256. */
  version?: string;
  /** `built:<shape>` or `hub:<repo>`. */
  source: string;
  randomWeights: boolean;
  /** Move `models/<id>/current` to this version (default true). */
  makeCurrent?: boolean;
  onProgress?: (file: string, bytesDone: number, bytesTotal: number) => void;
}

const PART_BYTES = 16 * 1024 * 1024;

/** sha256 of a file. */
export function hashFile(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(HASH_CHUNK_BYTES);
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

const HASH_CHUNK_BYTES = 4 * 1024 * 1024;
const VERSION_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const ID_PATTERN = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/;

/** What a model directory is, before it is published. */
export interface ModelDirOptions {
  dir: string;
  id: string;
  /** Version label; defaults to the first 12 hex chars of the weights' sha256. */
  version?: string;
  source: string;
  randomWeights: boolean;
  /** The manifest's `created`; default the newest modification time of its files (stable across runs). */
  created?: Date;
}

/**
 * The manifest of a local model directory: its runtime files with bytes and
 * sha256, checked (id, version, every file present). The one description of
 * a model that `npm run model:publish` uploads and `cdk deploy -c modelDir=…`
 * deploys.
 *
 * @example
 * ```ts
 * const manifest = describeModelDir({ dir: '.data/models/Xenova/gpt2', id: 'Xenova/gpt2', source: 'hub:Xenova/gpt2', randomWeights: false });
 * ```
 */
export function describeModelDir(options: ModelDirOptions): Manifest {
  if (!ID_PATTERN.test(options.id)) {
    throw new Error(
      `Model id "${options.id}" is invalid; use letters, digits, . _ - and at most one "/".`,
    );
  }
  const files: ManifestFile[] = [];
  let newest = 0;
  for (const path of RUNTIME_FILES) {
    const full = join(options.dir, path);
    const info = statSync(full, { throwIfNoEntry: false });
    if (!info?.isFile()) {
      throw new Error(
        `${full} is missing. A model directory needs ${RUNTIME_FILES.join(', ')} (npm run model:build or npm run model:fetch make one).`,
      );
    }
    newest = Math.max(newest, info.mtimeMs);
    files.push({ path, bytes: info.size, sha256: hashFile(full) });
  }
  const weights = files.find((f) => f.path === 'onnx/model_quantized.onnx') as ManifestFile;
  const version = options.version ?? weights.sha256.slice(0, 12);
  if (!VERSION_PATTERN.test(version)) {
    throw new Error(`Version "${version}" is invalid; use 1-64 letters, digits, . _ or -.`);
  }
  const config = JSON.parse(readFileSync(join(options.dir, 'config.json'), 'utf8')) as {
    muse?: { optimization?: unknown };
  };
  return Manifest.parse({
    id: options.id,
    version,
    files,
    dtype: 'q8',
    source: options.source,
    random_weights: options.randomWeights,
    created: (options.created ?? new Date(Math.floor(newest))).toISOString(),
    ...(config.muse?.optimization ? { optimization: config.muse.optimization } : {}),
  });
}

/**
 * What a model directory's `config.json` says of its origin: Muse's own
 * random-weight build (`muse.random_weights`, source `built:<shape>`) or an
 * export from elsewhere (source `dir:<id>`).
 */
export function originOfDir(dir: string, id: string): { randomWeights: boolean; source: string } {
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as {
    muse?: { random_weights?: boolean; shape?: string };
  };
  const randomWeights = config.muse?.random_weights === true;
  return {
    randomWeights,
    source: randomWeights ? `built:${config.muse?.shape ?? 'unknown'}` : `dir:${id}`,
  };
}

/**
 * Uploads a model's runtime files under `models/<id>/<version>/`, then its
 * `manifest.json` (files, bytes, sha256, dtype, source, created), then moves
 * the `models/<id>/current` pointer. The pointer is written last, so a
 * reader never sees a version whose files are incomplete.
 *
 * @example
 * ```ts
 * await publishModel({ s3, bucket: 'muse-models', dir: '.data/models/Xenova/gpt2', id: 'Xenova/gpt2', source: 'hub:Xenova/gpt2', randomWeights: false });
 * ```
 */
export async function publishModel(options: PublishOptions): Promise<Manifest> {
  const manifest = describeModelDir({ ...options, created: new Date() });
  const { files, version } = manifest;
  const prefix = modelPrefix(options.id, version);
  const total = files.reduce((s, f) => s + f.bytes, 0);
  let done = 0;
  for (const file of files) {
    const upload = new Upload({
      client: options.s3,
      params: {
        Bucket: options.bucket,
        Key: `${prefix}${file.path}`,
        Body: createReadStream(join(options.dir, file.path)),
        ContentLength: file.bytes,
        Metadata: { sha256: file.sha256 },
      },
      partSize: PART_BYTES,
      queueSize: 4,
    });
    const base = done;
    upload.on('httpUploadProgress', (p) =>
      options.onProgress?.(file.path, base + (p.loaded ?? 0), total),
    );
    await upload.done();
    done += file.bytes;
    options.onProgress?.(file.path, done, total);
  }
  await putJson(options.s3, options.bucket, `${prefix}manifest.json`, manifest);
  if (options.makeCurrent ?? true) {
    await putJson(
      options.s3,
      options.bucket,
      currentKey(options.id),
      CurrentPointer.parse({ version, updated: manifest.created }),
    );
  }
  return manifest;
}

async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(value, null, 2),
      ContentType: 'application/json',
    }),
  );
}
