/**
 * `npm run model:publish -- --dir DIR --id OWNER/NAME [--version V] [--bucket B] [--no-current] [--optimize [--bits 8|4]]`
 * Publishes a model directory (local S3 unless `--bucket`). With
 * `--optimize`, publishes what `npm run model:optimize` makes of it (into
 * `DIR-nbits<bits>`, refused unless it passes the fidelity gate); DIR itself
 * is left as it was, and stays publishable.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createS3Client } from '#lib/aws/clients.ts';
import { localName, MODELS_BUCKET } from '#lib/aws/resources.ts';
import { startS3rver } from '#local/emulators.ts';
import { localSettings } from '#local/settings.ts';
import { type Progress, progressBar } from '#tools/cli/progress.ts';
import { optimizeModelDir } from '#tools/model/optimize/optimize.ts';
import { originOfDir, publishModel } from '#tools/model/publish.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    id: { type: 'string' },
    version: { type: 'string' },
    bucket: { type: 'string' },
    region: { type: 'string' },
    'no-current': { type: 'boolean', default: false },
    optimize: { type: 'boolean', default: false },
    bits: { type: 'string', default: '8' },
  },
});
if (!values.dir || !values.id || !['8', '4'].includes(values.bits ?? '')) {
  console.error(
    'Usage: npm run model:publish -- --dir DIR --id OWNER/NAME [--version V] [--bucket BUCKET] [--no-current] [--optimize [--bits 8|4]]',
  );
  process.exit(2);
}
let dir = values.dir;
if (values.optimize) {
  const bits = Number(values.bits) as 4 | 8;
  const out = `${dir.replace(/\/+$/, '')}-nbits${bits}`;
  console.log(`Optimizing ${dir} → ${out} (MatMulNBits ${bits}-bit) …`);
  const result = await optimizeModelDir({ inDir: dir, outDir: out, bits, blockSize: 128 });
  const f = result.fidelity;
  console.log(
    `  ${result.layers.length} layers; mean KL ${f.meanKl.toFixed(5)} nats/token, top-1 ${(f.top1Decisive * 100).toFixed(2)} % on ${f.decisiveTokens} decisive positions (${f.tokens} tokens)`,
  );
  if (!result.passed) {
    console.error(
      `Refused: outside the bounds (mean KL ≤ ${result.bounds.maxMeanKl}, top-1 ≥ ${result.bounds.minTop1}); nothing published.`,
    );
    process.exit(1);
  }
  dir = out;
}
const { randomWeights, source } = originOfDir(dir, values.id);

const local = values.bucket ? undefined : await startS3rver(join(localSettings().dataDir, 's3'));
const s3 = createS3Client({
  region: values.region ?? process.env.AWS_REGION ?? 'us-east-1',
  ...(local ? { local: { s3Endpoint: local.endpoint, dynamoEndpoint: local.endpoint } } : {}),
});
const bucket = values.bucket ?? localName(MODELS_BUCKET);
let bar: Progress | undefined;
try {
  const manifest = await publishModel({
    s3,
    bucket,
    dir,
    id: values.id,
    ...(values.version ? { version: values.version } : {}),
    source,
    randomWeights,
    makeCurrent: !values['no-current'],
    onProgress: (_file, done, total) => {
      bar ??= progressBar({ label: '  upload', total, unit: 'bytes' });
      bar.update(done);
    },
  });
  bar?.done();
  console.log(
    `Published ${manifest.id}@${manifest.version} to s3://${bucket}/models/${manifest.id}/${manifest.version}/` +
      `${values['no-current'] ? '' : ' and made it current'}${randomWeights ? ' (RANDOM weights)' : ''}.`,
  );
} catch (error) {
  bar?.done();
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  s3.destroy();
  await local?.stop();
}
