import { z } from 'zod';
import { documentClient, s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { CustomerId } from '#lib/events/schema.ts';
import { defineApi } from '#lib/http/api.ts';
import { json, text } from '#lib/http/response.ts';
import { DynamoProfileStore, insightsOf } from '#lib/insights/profileStore.ts';
import { ReportDay, S3ReportStore, serveReport } from '#lib/insights/report.ts';
import { DynamoErasureStore } from '#lib/privacy/erasures.ts';

const cfg = config();
const profiles = new DynamoProfileStore(documentClient(), cfg.appTable);
const reports = new S3ReportStore(s3Client(), cfg.reportsBucket);
const erasures = new DynamoErasureStore(documentClient(), cfg.appTable);

/** `GET /insights/{customerId}`: a customer's summary; `GET /reports/{date}`: a nightly report. */
export const api = defineApi([
  {
    method: 'GET',
    path: '/insights/{customerId}',
    doc: {
      summary: "The customer's latest insight summary",
      params: { customerId: CustomerId },
      responses: { 200: 'Counts, rates with sample sizes, RFM, engagement, churn risk, text.' },
    },
    handle: async ({ params }) =>
      json(200, await insightsOf(profiles, erasures, params.customerId ?? '')),
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
      const asked = { day: params.date ?? '', format: query.get('format'), accept: headers.accept };
      const { contentType, body } = await serveReport(reports, erasures, asked);
      return text(200, contentType, body);
    },
  },
]);

export const handler = api.handler;
