import { documentClient } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { ingestRequest } from '#lib/events/ingest.ts';
import { CustomerId, EventBatch } from '#lib/events/schema.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { defineApi } from '#lib/http/api.ts';
import { answer } from '#lib/http/response.ts';
import { erasureDeps } from '#lib/privacy/deps.ts';
import { eraseCustomer } from '#lib/privacy/eraseCustomer.ts';

const cfg = config();
const store = new DynamoEventStore(documentClient(), cfg.eventsTable);
const erasure = erasureDeps();
const retention = { retentionDays: cfg.events.retentionDays, shards: cfg.events.shards };

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
    handle: async (request) => answer(await ingestRequest(store, request, retention)),
  },
  {
    method: 'DELETE',
    path: '/customers/{customerId}',
    doc: {
      summary:
        'Erase a customer: events and profile now, rows in stored reports by the next nightly run',
      params: { customerId: CustomerId },
      responses: {
        200: 'Nothing of the customer was stored.',
        202: 'Own items erased now; stored reports cleaned within 24 h (hidden at once).',
      },
    },
    handle: async ({ params }) => answer(await eraseCustomer(params.customerId ?? '', erasure)),
  },
]);

export const handler = api.handler;
