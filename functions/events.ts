import { z } from 'zod';
import { documentClient, s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { batchFormat, ingestBatch, ingestStatus } from '#lib/events/ingest.ts';
import { CustomerId, EngagementEvent, EVENT_LIMITS } from '#lib/events/schema.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { defineApi } from '#lib/http/api.ts';
import { json } from '#lib/http/response.ts';
import { reportsEraser } from '#lib/insights/reportsEraser.ts';
import { MetricUnit, metrics } from '#lib/metrics.ts';
import { eraseCustomer, eventsEraser, profileEraser } from '#lib/privacy/eraseCustomer.ts';
import { validate } from '#lib/validation.ts';

const cfg = config();
const store = new DynamoEventStore(documentClient(), cfg.eventsTable);
const erasers = [
  eventsEraser(store),
  profileEraser(documentClient(), cfg.appTable),
  reportsEraser(s3Client(), cfg.reportsBucket),
];

/** `POST /events`: ingest engagement events; `DELETE /customers/{id}`: erase a customer. */
export const api = defineApi([
  {
    method: 'POST',
    path: '/events',
    doc: {
      summary: 'Ingest a batch of engagement events',
      description:
        'A JSON array of events (or NDJSON, one per line, with content-type application/x-ndjson). Valid events are stored even when others fail: 207 lists the failures by index.',
      body: z.array(EngagementEvent).min(1).max(EVENT_LIMITS.maxBatchEvents),
      responses: {
        200: 'Every event accepted (or a duplicate of a stored one).',
        207: 'Some events accepted; `errors` lists the rest by index with field issues.',
      },
    },
    handle: async (request) => {
      const result = await ingestBatch(store, request.body, {
        format: batchFormat(request.headers['content-type']),
        now: new Date(),
        retentionDays: cfg.events.retentionDays,
      });
      metrics().addMetric('EventsAccepted', MetricUnit.Count, result.accepted);
      metrics().addMetric('EventsRejected', MetricUnit.Count, result.errors.length);
      return json(ingestStatus(result), result);
    },
  },
  {
    method: 'DELETE',
    path: '/customers/{customerId}',
    doc: {
      summary: 'Erase a customer: events, profile, and their rows in stored reports',
      params: { customerId: CustomerId },
      responses: { 200: 'What was erased, per store.' },
    },
    handle: async ({ params }) => {
      const customerId = validate(CustomerId, params.customerId, 'customerId in the path');
      return json(200, await eraseCustomer(customerId, erasers));
    },
  },
]);

export const handler = api.handler;
