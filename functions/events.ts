import { documentClient } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { ingestRequest } from '#lib/events/ingest.ts';
import { CustomerId, EventBatch } from '#lib/events/schema.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { defineApi } from '#lib/http/api.ts';
import { json } from '#lib/http/response.ts';
import { customerErasers } from '#lib/privacy/deps.ts';
import { eraseCustomer } from '#lib/privacy/eraseCustomer.ts';

const cfg = config();
const store = new DynamoEventStore(documentClient(), cfg.eventsTable);
const erasers = customerErasers();
const retention = { retentionDays: cfg.events.retentionDays };

/** `POST /events`: ingest engagement events; `DELETE /customers/{id}`: erase a customer. */
export const api = defineApi([
  {
    method: 'POST',
    path: '/events',
    doc: {
      summary: 'Ingest a batch of engagement events',
      description:
        'A JSON array of events (or NDJSON, one per line, with content-type application/x-ndjson). Valid events are stored even when others fail: 207 lists the failures by index.',
      body: EventBatch,
      responses: {
        200: 'Every event accepted (or a duplicate).',
        207: 'Some failed: `errors` by index.',
      },
    },
    handle: async (request) => {
      const { status, result } = await ingestRequest(store, request, retention);
      return json(status, result);
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
    handle: async ({ params }) => json(200, await eraseCustomer(params.customerId ?? '', erasers)),
  },
]);

export const handler = api.handler;
