import { documentClient } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { NotFoundError } from '#lib/errors.ts';
import { CustomerId } from '#lib/events/schema.ts';
import { defineApi } from '#lib/http/api.ts';
import { json } from '#lib/http/response.ts';
import { validate } from '#lib/http/validation.ts';
import { DynamoProfileStore } from '#lib/insights/profileStore.ts';

const profiles = new DynamoProfileStore(documentClient(), config().appTable);

/** `GET /insights/{customerId}`: the customer's latest insight summary. */
export const api = defineApi([
  {
    method: 'GET',
    path: '/insights/{customerId}',
    handle: async ({ params }) => {
      const customerId = validate(CustomerId, params.customerId, 'customerId in the path');
      const summary = await profiles.getSummary(customerId);
      if (!summary) {
        throw new NotFoundError(
          `No insights for customer ${customerId} yet: the nightly job computes them from their events (locally: npm run insights -- --date YYYY-MM-DD).`,
        );
      }
      return json(200, summary);
    },
  },
]);

export const handler = api.handler;
