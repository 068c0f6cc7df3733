/**
 * Child process of the model benchmark: peak RSS of the generate path on the
 * gpt2 shape, as a Lambda container sees it: the model is already in S3 (the
 * parent published it; args: endpoint bucket id version); this process
 * fetches, verifies, loads and generates.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client } from '#lib/aws/clients.ts';
import { cacheModel } from '#lib/model/cache.ts';
import { loadModel } from '#lib/model/loadModel.ts';
import { peakRssMb } from './lib.ts';

const [endpoint, bucket, id, version] = process.argv.slice(2) as [string, string, string, string];

const mb = peakRssMb;
const s3 = createS3Client({
  region: 'us-east-1',
  local: { s3Endpoint: endpoint, dynamoEndpoint: endpoint },
});
const cacheDir = await mkdtemp(join(tmpdir(), 'muse-rss-cache-'));
// Fetch first (as loadModel would), then load from the verified cache: the
// same work as one cold loadModel, with the peak of each stage visible.
await cacheModel({ s3, bucket, id, version, cacheDir });
console.log(`FETCHED_PEAK_RSS_MB=${mb()}`);
const { model } = await loadModel({ s3, bucket, id, version, cacheDir });
console.log(`LOADED_PEAK_RSS_MB=${mb()}`);
await model.generate(model.encode('Hello there, this is a benchmark prompt.'), {
  n: 8,
  maxNewTokens: 64,
  temperature: 0.8,
  topK: 50,
  topP: 0.95,
  seed: 1,
});
console.log(`PEAK_RSS_MB=${mb()}`);
s3.destroy();
