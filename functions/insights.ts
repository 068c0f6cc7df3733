import { z } from 'zod';
import { documentClient, s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { NotFoundError } from '#lib/errors.ts';
import { CustomerId } from '#lib/events/schema.ts';
import { defineApi } from '#lib/http/api.ts';
import { json } from '#lib/http/response.ts';
import { DynamoProfileStore } from '#lib/insights/profileStore.ts';
import { REPORT_TYPES, readReport, reportFormat, S3ReportStore } from '#lib/insights/report.ts';
import { validate } from '#lib/validation.ts';

const cfg = config();
const profiles = new DynamoProfileStore(documentClient(), cfg.appTable);
const reports = new S3ReportStore(s3Client(), cfg.reportsBucket);
const ReportDay = z.union([
  z.literal('latest'),
  z.iso.date({ error: 'must be a UTC day (YYYY-MM-DD) or latest' }),
]);

/**
 * `GET /insights/{customerId}`: the customer's latest insight summary.
 * `GET /reports/{date}` (or `latest`): the nightly report as JSON, or its
 * per-customer table (`Accept: text/csv` or `?format=csv`), or the page
 * (`Accept: text/html`, as browsers send, or `?format=html`).
 */
export const api = defineApi([
  {
    method: 'GET',
    path: '/insights/{customerId}',
    doc: {
      summary: "The customer's latest insight summary",
      params: { customerId: CustomerId },
      responses: {
        200: 'Counts, rates with sample sizes, RFM, engagement, churn risk, summary text.',
      },
    },
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
  {
    method: 'GET',
    path: '/reports/{date}',
    doc: {
      summary: 'A nightly report (a UTC day or latest) as JSON, CSV or HTML',
      params: { date: ReportDay },
      query: {
        format: {
          schema: z.enum(['json', 'csv', 'html']),
          description: 'Overrides the Accept header (text/html → page, text/csv → customers.csv).',
        },
      },
      responses: { 200: 'The report in the asked format.' },
      produces: ['application/json', 'text/csv', 'text/html'],
    },
    handle: async ({ params, headers, query }) => {
      const day = validate(ReportDay, params.date, 'date in the path');
      const served = await readReport(
        reports,
        day,
        reportFormat(query.get('format'), headers.accept),
      );
      return served.format === 'json'
        ? json(200, served.body)
        : {
            statusCode: 200,
            headers: { 'content-type': REPORT_TYPES[served.format] },
            body: served.body,
          };
    },
  },
]);

export const handler = api.handler;
