import { dynamoClient, s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { checkHealth } from '#lib/health/health.ts';
import { defineApi } from '#lib/http/api.ts';
import { json } from '#lib/http/response.ts';

const cfg = config();

/** `GET /health`: the stack's tables and buckets and whether each is reachable. */
export const api = defineApi([
  {
    method: 'GET',
    path: '/health',
    doc: {
      summary: 'Status of the tables, buckets and model',
      responses: { 200: 'Everything reachable.' },
    },
    handle: async () => {
      const report = await checkHealth({
        dynamo: dynamoClient(),
        s3: s3Client(),
        tables: { app: cfg.appTable, events: cfg.eventsTable },
        buckets: { models: cfg.modelBucket, reports: cfg.reportsBucket },
        mode: cfg.local ? 'local' : 'aws',
        ...(cfg.model.id ? { model: { id: cfg.model.id, version: cfg.model.version } } : {}),
      });
      return json(report.status === 'ok' ? 200 : 503, report);
    },
  },
]);

export const handler = api.handler;
