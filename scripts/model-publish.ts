import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createS3Client } from '#lib/aws/clients.ts';
import { localName, MODELS_BUCKET } from '#lib/aws/resources.ts';
import { startS3rver } from '#local/emulators.ts';
import { localSettings } from '#local/settings.ts';
import { type Progress, progressBar } from '#tools/cli/progress.ts';
import { originOfDir, publishModel } from '#tools/model/publish.ts';

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    id: { type: 'string' },
    version: { type: 'string' },
    bucket: { type: 'string' },
    region: { type: 'string' },
    'no-current': { type: 'boolean', default: false },
  },
});
if (!values.dir || !values.id) {
  console.error(
    'Usage: npm run model:publish -- --dir DIR --id OWNER/NAME [--version V] [--bucket BUCKET] [--no-current]',
  );
  process.exit(2);
}
const { randomWeights, source } = originOfDir(values.dir, values.id);

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
    dir: values.dir,
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
