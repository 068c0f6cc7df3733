import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseDictJson } from '../dict.ts';

/** Reads a text object from S3; undefined when the key does not exist. */
export async function getText(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<string | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await out.Body?.transformToString()) ?? '';
  } catch (error) {
    if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey') {
      return undefined;
    }
    throw error;
  }
}

/** Reads a JSON object from S3; undefined when the key does not exist. */
export async function getJson<T>(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<T | undefined> {
  const text = await getText(s3, bucket, key);
  return text === undefined ? undefined : parseDictJson<T>(text);
}

/** Writes a text object to S3. */
export async function putText(
  s3: S3Client,
  bucket: string,
  key: string,
  body: string,
  contentType: string,
): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
  );
}

/** Writes a value to S3 as JSON. */
export function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  return putText(s3, bucket, key, JSON.stringify(value), 'application/json');
}
