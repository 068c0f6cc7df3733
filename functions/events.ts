import { documentClient, s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { batchFormat, ingestBatch, ingestStatus } from '#lib/events/ingest.ts';
import { CustomerId } from '#lib/events/schema.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { defineApi } from '#lib/http/api.ts';
import { json } from '#lib/http/response.ts';
import { validate } from '#lib/http/validation.ts';
import { reportsEraser } from '#lib/insights/reportsEraser.ts';
import { eraseCustomer, eventsEraser, profileEraser } from '#lib/privacy/eraseCustomer.ts';

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
    handle: async (request) => {
      const result = await ingestBatch(store, request.body, {
        format: batchFormat(request.headers['content-type']),
        now: new Date(),
        retentionDays: cfg.events.retentionDays,
      });
      return json(ingestStatus(result), result);
    },
  },
  {
    method: 'DELETE',
    path: '/customers/{customerId}',
    handle: async ({ params }) => {
      const customerId = validate(CustomerId, params.customerId, 'customerId in the path');
      return json(200, await eraseCustomer(customerId, erasers));
    },
  },
]);

export const handler = api.handler;
