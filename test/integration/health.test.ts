import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { dynamoClient } from '#lib/aws/clients.ts';
import { checkHealth } from '#lib/health/health.ts';
import { modelPrefix } from '#lib/model/manifest.ts';
import { testClients, testConfig } from '#test/support/clients.ts';
import { publishTinyModel } from '#test/support/tinyModel.ts';

const cfg = testConfig();
const health = (model: { id: string; version: string }) =>
  checkHealth({
    dynamo: dynamoClient(),
    s3: testClients().s3,
    tables: { app: cfg.appTable, events: cfg.eventsTable },
    buckets: { models: cfg.modelBucket, reports: cfg.reportsBucket },
    mode: 'local',
    model,
  });

describe('GET /health and the model', () => {
  it('is ok when the configured model can be loaded, naming the version and sha256', async () => {
    const manifest = await publishTinyModel('test/health-ok');

    const report = await health({ id: manifest.id, version: 'current' });

    expect(report.status).toBe('ok');
    expect(report.model).toMatchObject({
      ok: true,
      resolved: manifest.version,
      detail: 'loadable',
    });
  });

  it('is degraded, saying why, when no model is published (generate and recommend answer 503)', async () => {
    const report = await health({ id: 'nobody/nothing', version: 'current' });

    expect(report.status).toBe('degraded');
    expect(report.model?.detail).toMatch(/No model "nobody\/nothing" is published yet/);
    expect(report.model?.detail).not.toContain(cfg.modelBucket);
  });

  it('is degraded, naming the file, when a file of the manifest is missing', async () => {
    const manifest = await publishTinyModel('test/health-missing');
    await testClients().s3.send(
      new DeleteObjectCommand({
        Bucket: cfg.modelBucket,
        Key: `${modelPrefix(manifest.id, manifest.version)}tokenizer.json`,
      }),
    );

    const report = await health({ id: manifest.id, version: 'current' });

    expect(report.status).toBe('degraded');
    expect(report.model?.detail).toMatch(/tokenizer\.json is missing/);
  });
});
