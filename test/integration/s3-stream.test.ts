import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { testClients } from '#test/support/clients.ts';

const OBJECT_BYTES = 12 * 1024 * 1024;
const CHUNK_BYTES = 256 * 1024;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('S3 client in local mode (s3rver)', () => {
  it('stores a >10 MB object uploaded as a stream byte-exact (no aws-chunked framing)', async () => {
    const { s3, cfg } = testClients();
    const data = randomBytes(OBJECT_BYTES);
    const chunks = Array.from({ length: OBJECT_BYTES / CHUNK_BYTES }, (_, i) =>
      data.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES),
    );
    const key = `test/stream-${Date.now()}.bin`;

    await s3.send(
      new PutObjectCommand({
        Bucket: cfg.modelBucket,
        Key: key,
        Body: Readable.from(chunks),
        ContentLength: OBJECT_BYTES,
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: cfg.modelBucket, Key: key }));
    const bytes = await got.Body?.transformToByteArray();

    expect(bytes?.length).toBe(OBJECT_BYTES);
    expect(sha256(bytes ?? new Uint8Array())).toBe(sha256(data));
  });
});
