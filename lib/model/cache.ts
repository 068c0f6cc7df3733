import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  statfs,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '../async.ts';
import { getText } from '../aws/s3json.ts';
import {
  ChecksumMismatchError,
  InsufficientStorageError,
  ModelNotPublishedError,
} from '../errors.ts';
import { logger } from '../log.ts';
import {
  CurrentPointer,
  currentKey,
  Manifest,
  type ManifestFile,
  modelPrefix,
  WEIGHTS_FILE,
} from './manifest.ts';

/** Size of one ranged GET; every file is fetched as ranged GETs of at most this size. */
export const RANGE_PART_BYTES = 8 * 1024 * 1024;
/** Ranged GETs in flight at once. */
export const RANGE_CONCURRENCY = 8;

const VERIFIED_MARKER = '.muse-verified.json';

/** Where a model lives in S3 and where to cache it locally. */
export interface ModelLocation {
  s3: S3Client;
  bucket: string;
  id: string;
  /** A version label or `current`. */
  version: string;
  /** Local cache root; files go under {@link localModelDir}. */
  cacheDir: string;
  /** Ranged-GET part size (default {@link RANGE_PART_BYTES}); files above it are split. */
  partBytes?: number;
}

/** A model's files, verified, on local disk. */
export interface CachedModel {
  manifest: Manifest;
  /** Directory holding the files (transformers.js layout). */
  dir: string;
  /** Bytes downloaded now (0 when the verified cache was reused). */
  downloadedBytes: number;
  reused: boolean;
  /** sha256 of the weights file's bytes as hashed on this machine (what responses report). */
  weightsSha256: string;
}

/** Reads the manifest of `version` (resolving `current` through its pointer). */
export async function readManifest(
  loc: Pick<ModelLocation, 's3' | 'bucket' | 'id' | 'version'>,
): Promise<Manifest> {
  let version = loc.version;
  const hint = `publish one with: npm run model:publish -- --dir <model dir> --id ${loc.id}`;
  if (version === 'current') {
    const pointer = await getText(loc.s3, loc.bucket, currentKey(loc.id));
    if (!pointer) {
      logger.warn('model pointer missing', { bucket: loc.bucket, key: currentKey(loc.id) });
      throw new ModelNotPublishedError(`No model "${loc.id}" is published yet; ${hint}.`);
    }
    version = CurrentPointer.parse(JSON.parse(pointer)).version;
  }
  const key = `${modelPrefix(loc.id, version)}manifest.json`;
  const text = await getText(loc.s3, loc.bucket, key);
  if (!text) {
    logger.warn('model manifest missing', { bucket: loc.bucket, key });
    throw new ModelNotPublishedError(
      `Model "${loc.id}" version ${version} has no manifest; ${hint} --version ${version}.`,
    );
  }
  return Manifest.parse(JSON.parse(text));
}

/** sha256 of a file on disk, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * Whether a cached copy can be used: the marker names exactly the
 * manifest's files, each has its size, and each file's bytes hash to the
 * manifest's sha256 (hashed now, not trusted from an earlier run: a file
 * corrupted in place keeps its size). Returns the weights' sha256 as hashed.
 */
async function verifiedCache(dir: string, manifest: Manifest): Promise<string | undefined> {
  const marker = await readFile(join(dir, VERIFIED_MARKER), 'utf8').catch(() => undefined);
  if (!marker) return undefined;
  const verified = JSON.parse(marker) as ManifestFile[];
  if (JSON.stringify(verified) !== JSON.stringify(manifest.files)) return undefined;
  let weights: string | undefined;
  for (const file of manifest.files) {
    const path = join(dir, file.path);
    const info = await stat(path).catch(() => undefined);
    if (info?.size !== file.bytes) return undefined;
    const actual = await sha256File(path);
    if (actual !== file.sha256) {
      logger.warn('cached model file changed; downloading again', {
        path,
        actual,
        expected: file.sha256,
      });
      return undefined;
    }
    if (file.path === WEIGHTS_FILE) weights = actual;
  }
  return weights ?? '';
}

async function ensureSpace(root: string, neededBytes: number): Promise<void> {
  await mkdir(root, { recursive: true });
  const fs = await statfs(root);
  const free = fs.bavail * fs.bsize;
  if (free < neededBytes) {
    const mb = (n: number) => `${Math.ceil(n / 1e6)} MB`;
    throw new InsufficientStorageError(
      `Not enough space in ${root} for the model: need ${mb(neededBytes)}, ${mb(free)} free. ` +
        'Raise the function’s ephemeral storage (ephemeralStorageSize in infra/) or point MUSE_MODEL_CACHE_DIR at a larger disk.',
    );
  }
}

/** Views the SDK's bytes as a Buffer without copying them. */
function asBuffer(bytes: Uint8Array | undefined): Buffer {
  return bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.alloc(0);
}

/**
 * Hashes a file's bytes in order while its parts arrive out of order: chunks
 * of the part at the cursor are hashed at once, chunks of later parts wait
 * (as the small chunks they arrived in) until the cursor reaches them.
 */
class OrderedHasher {
  private readonly hash = createHash('sha256');
  private readonly waiting = new Map<number, Buffer[]>();
  private readonly finished = new Set<number>();
  private cursor = 0;
  private readonly advanced = new Set<() => void>();

  /** Adds a chunk of part `part`. */
  update(part: number, chunk: Buffer): void {
    if (part === this.cursor) this.hash.update(chunk);
    else this.waiting.set(part, [...(this.waiting.get(part) ?? []), chunk]);
  }

  /** Marks part `part` complete and moves the cursor past every complete part. */
  finish(part: number): void {
    this.finished.add(part);
    while (this.finished.has(this.cursor)) {
      this.finished.delete(this.cursor);
      this.cursor++;
      for (const chunk of this.waiting.get(this.cursor) ?? []) this.hash.update(chunk);
      this.waiting.delete(this.cursor);
    }
    for (const wake of this.advanced) wake();
    this.advanced.clear();
  }

  /** Waits until part `part` is less than `window` parts ahead of the cursor. */
  async within(part: number, window: number): Promise<void> {
    while (part >= this.cursor + window) {
      await new Promise<void>((resolve) => this.advanced.add(resolve));
    }
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Streams one byte range of an object into `handle` at its offset, feeding
 * the hasher as chunks arrive: no part is ever held whole in memory. Returns
 * the bytes received; a short range (object changed) fails the sha256 check.
 */
async function streamRange(
  loc: ModelLocation,
  key: string,
  range: { part: number; start: number; end: number },
  handle: FileHandle,
  hasher: OrderedHasher,
): Promise<number> {
  const out = await loc.s3.send(
    new GetObjectCommand({
      Bucket: loc.bucket,
      Key: key,
      Range: `bytes=${range.start}-${range.end}`,
    }),
  );
  let position = range.start;
  for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
    const bytes = asBuffer(chunk);
    await handle.write(bytes, 0, bytes.length, position);
    hasher.update(range.part, bytes);
    position += bytes.length;
  }
  hasher.finish(range.part);
  return position - range.start;
}

/**
 * Downloads one file into `dest`, hashing while it downloads (never reading
 * the file back). Files over one part are fetched as parallel ranged GETs
 * streamed to their offsets; memory stays at a few network chunks per part
 * in flight. A checksum mismatch deletes the file and throws.
 */
async function downloadFile(
  loc: ModelLocation,
  key: string,
  file: ManifestFile,
  dest: string,
): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const partial = `${dest}.partial`;
  const handle = await open(partial, 'w');
  const hasher = new OrderedHasher();
  let received = 0;
  try {
    const partBytes = loc.partBytes ?? RANGE_PART_BYTES;
    const parts = Array.from(
      { length: Math.max(1, Math.ceil(file.bytes / partBytes)) },
      (_, i) => i,
    );
    if (file.bytes === 0) {
      hasher.finish(0);
    } else {
      await mapLimit(parts, RANGE_CONCURRENCY, async (part) => {
        // Bound how far ahead of the hash cursor we fetch, so waiting chunks stay few.
        await hasher.within(part, RANGE_CONCURRENCY);
        const start = part * partBytes;
        const end = Math.min(file.bytes, start + partBytes) - 1;
        received += await streamRange(loc, key, { part, start, end }, handle, hasher);
      });
    }
  } finally {
    await handle.close();
  }
  const actual = hasher.digest();
  if (actual !== file.sha256) {
    await rm(partial, { force: true });
    const size = received === file.bytes ? '' : ` (received ${received} of ${file.bytes} bytes)`;
    logger.error('model file checksum mismatch', {
      bucket: loc.bucket,
      key,
      actual,
      expected: file.sha256,
    });
    throw new ChecksumMismatchError(
      `Refusing to load ${file.path}: its sha256 is ${actual}${size} but the manifest says ${file.sha256}. ` +
        'The published copy was changed or corrupted; the bad download was deleted. Republish the model with npm run model:publish.',
    );
  }
  await rename(partial, dest);
}

/**
 * Local directory of a model version: `<cacheDir>/<owner>__<name>/<version>`.
 * transformers.js resolves local model paths of at most two segments and
 * treats `--` specially, so the id's `/` becomes `__`.
 */
export function localModelDir(cacheDir: string, id: string, version: string): string {
  return join(cacheDir, id.replace('/', '__'), version);
}

/**
 * Makes a published model available on local disk: reads its manifest,
 * reuses a verified cache if there is one, otherwise checks free space and
 * downloads every file in parallel (ranged GETs for files over one part), verifying
 * each sha256 before it is used.
 *
 * @example
 * ```ts
 * const { dir, manifest } = await cacheModel({ s3, bucket, id: 'Xenova/gpt2', version: 'current', cacheDir: '/tmp/models' });
 * ```
 */
export async function cacheModel(loc: ModelLocation): Promise<CachedModel> {
  const manifest = await readManifest(loc);
  const dir = localModelDir(loc.cacheDir, manifest.id, manifest.version);
  const reusedSha = await verifiedCache(dir, manifest);
  if (reusedSha !== undefined) {
    return { manifest, dir, downloadedBytes: 0, reused: true, weightsSha256: reusedSha };
  }

  await rm(join(dir, VERIFIED_MARKER), { force: true });
  const needed = manifest.files.reduce((sum, f) => sum + f.bytes, 0);
  await ensureSpace(loc.cacheDir, needed);
  const prefix = modelPrefix(manifest.id, manifest.version);
  await Promise.all(
    manifest.files.map((file) =>
      downloadFile(loc, `${prefix}${file.path}`, file, join(dir, file.path)),
    ),
  );
  await writeFile(join(dir, VERIFIED_MARKER), JSON.stringify(manifest.files));
  // Each download was hashed as it arrived and equals the manifest's, or it threw.
  const weightsSha256 = manifest.files.find((f) => f.path === WEIGHTS_FILE)?.sha256 ?? '';
  return { manifest, dir, downloadedBytes: needed, reused: false, weightsSha256 };
}
