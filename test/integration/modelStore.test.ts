import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { cachedValue } from '#lib/cache.ts';
import {
  ChecksumMismatchError,
  InsufficientStorageError,
  ModelNotPublishedError,
} from '#lib/errors.ts';
import { cacheModel, localModelDir, readManifest } from '#lib/model/cache.ts';
import { loadModel } from '#lib/model/loadModel.ts';
import { currentKey, modelPrefix, RUNTIME_FILES, weightsSha256 } from '#lib/model/manifest.ts';
import { testClients } from '#test/support/clients.ts';
import { publishTinyModel } from '#test/support/tinyModel.ts';

const tempCache = () => mkdtemp(join(tmpdir(), 'muse-cache-'));

describe('model publish → load through s3rver', () => {
  it('publishes the runtime files, a manifest and the current pointer', async () => {
    const { s3, cfg } = testClients();

    const manifest = await publishTinyModel();
    const pointer = await s3.send(
      new GetObjectCommand({ Bucket: cfg.modelBucket, Key: currentKey(manifest.id) }),
    );

    expect(manifest.files.map((f) => f.path)).toEqual([...RUNTIME_FILES]);
    expect(manifest).toMatchObject({ dtype: 'q8', source: 'built:tiny', random_weights: true });
    expect(JSON.parse((await pointer.Body?.transformToString()) ?? '{}').version).toBe(
      manifest.version,
    );
  });

  it('downloads with ranged GETs, verifies and loads a model that generates', async () => {
    const { s3, cfg } = testClients();
    const manifest = await publishTinyModel();
    const cacheDir = await tempCache();

    const cached = await cacheModel({
      s3,
      bucket: cfg.modelBucket,
      id: manifest.id,
      version: 'current',
      cacheDir,
      partBytes: 1024 * 1024,
    });
    const loaded = await loadModel({
      s3,
      bucket: cfg.modelBucket,
      id: manifest.id,
      version: manifest.version,
      cacheDir,
    });
    const out = await loaded.model.generate(loaded.model.encode('Hello'), {
      n: 1,
      maxNewTokens: 4,
      temperature: 0,
      topK: 0,
      topP: 1,
      seed: 1,
    });

    expect(cached.reused).toBe(false);
    for (const file of manifest.files)
      expect((await stat(join(cached.dir, file.path))).size).toBe(file.bytes);
    expect(loaded.model.info).toMatchObject({
      id: manifest.id,
      version: manifest.version,
      randomWeights: true,
    });
    expect(out.sequences[0]?.tokens).toHaveLength(4);
  });

  it('reuses a verified cache without downloading again', async () => {
    const { s3, cfg } = testClients();
    const manifest = await publishTinyModel();
    const cacheDir = await tempCache();
    const loc = { s3, bucket: cfg.modelBucket, id: manifest.id, version: 'current', cacheDir };

    const first = await cacheModel(loc);
    const second = await cacheModel(loc);

    expect(first).toMatchObject({ reused: false });
    expect(second).toMatchObject({ reused: true, downloadedBytes: 0, dir: first.dir });
  });

  it('downloads again a cached file corrupted in place (same size), and reports the sha256 it loaded', async () => {
    const { s3, cfg } = testClients();
    const manifest = await publishTinyModel();
    const cacheDir = await tempCache();
    const loc = { s3, bucket: cfg.modelBucket, id: manifest.id, version: 'current', cacheDir };
    const first = await cacheModel(loc);
    const weights = join(first.dir, 'onnx/model_quantized.onnx');
    const bytes = await readFile(weights);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    await writeFile(weights, bytes);

    const again = await cacheModel(loc);

    expect(again).toMatchObject({ reused: false, downloadedBytes: expect.any(Number) });
    expect(again.weightsSha256).toBe(weightsSha256(manifest));
    expect(
      createHash('sha256')
        .update(await readFile(weights))
        .digest('hex'),
    ).toBe(weightsSha256(manifest));
  });

  it('refuses a file whose sha256 does not match the manifest and deletes it', async () => {
    const { s3, cfg } = testClients();
    const manifest = await publishTinyModel();
    const cacheDir = await tempCache();
    await s3.send(
      new PutObjectCommand({
        Bucket: cfg.modelBucket,
        Key: `${modelPrefix(manifest.id, manifest.version)}tokenizer_config.json`,
        Body: '{"tampered":true}',
      }),
    );

    const act = cacheModel({
      s3,
      bucket: cfg.modelBucket,
      id: manifest.id,
      version: 'current',
      cacheDir,
    });

    await expect(act).rejects.toThrow(ChecksumMismatchError);
    await expect(act).rejects.toThrow(
      /Refusing to load tokenizer_config\.json.*Republish the model/,
    );
    const left = await readdir(localModelDir(cacheDir, manifest.id, manifest.version)).catch(
      () => [],
    );
    expect(left.filter((f) => f.startsWith('tokenizer_config'))).toEqual([]);
  });

  it('says to publish a model when none is there', async () => {
    const { s3, cfg } = testClients();

    const act = readManifest({
      s3,
      bucket: cfg.modelBucket,
      id: 'nobody/nothing',
      version: 'current',
    });

    await expect(act).rejects.toThrow(ModelNotPublishedError);
    await expect(act).rejects.toThrow(/npm run model:publish/);
  });

  it('refuses to download when the cache disk is too small', async () => {
    const { s3, cfg } = testClients();
    const manifest = await publishTinyModel();
    const huge = {
      ...manifest,
      version: `${manifest.version}-huge`,
      files: manifest.files.map((f) => ({ ...f, bytes: 1e15 })),
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: cfg.modelBucket,
        Key: `${modelPrefix(manifest.id, huge.version)}manifest.json`,
        Body: JSON.stringify(huge),
      }),
    );

    const act = cacheModel({
      s3,
      bucket: cfg.modelBucket,
      id: manifest.id,
      version: huge.version,
      cacheDir: await tempCache(),
    });

    await expect(act).rejects.toThrow(InsufficientStorageError);
    await expect(act).rejects.toThrow(/Not enough space.*ephemeral storage/);
  });

  it('shares one load between concurrent first callers', async () => {
    const { s3, cfg } = testClients();
    const manifest = await publishTinyModel();
    const cacheDir = await tempCache();
    let loads = 0;
    const get = cachedValue(() => {
      loads += 1;
      return loadModel({
        s3,
        bucket: cfg.modelBucket,
        id: manifest.id,
        version: 'current',
        cacheDir,
      });
    });

    const [a, b, c] = await Promise.all([get(), get(), get()]);

    expect(loads).toBe(1);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('retries a load that failed', async () => {
    let loads = 0;
    const get = cachedValue(async () => {
      loads += 1;
      throw new Error('not yet');
    });

    await expect(get()).rejects.toThrow('not yet');
    await expect(get()).rejects.toThrow('not yet');

    expect(loads).toBe(2);
  });
});
