import { documentClient, s3Client } from '#lib/aws/clients.ts';
import { config } from '#lib/config.ts';
import { CustomerId } from '#lib/events/schema.ts';
import { defineApi } from '#lib/http/api.ts';
import { json, type RouteResult, text } from '#lib/http/response.ts';
import { DynamoProfileStore, insightsOf } from '#lib/insights/profileStore.ts';
import {
  reportRouteDoc,
  S3ReportStore,
  type ServedBody,
  serveReport,
  serveWinback,
} from '#lib/insights/report.ts';
import { DynamoErasureStore } from '#lib/privacy/erasures.ts';

const cfg = config();
const profiles = new DynamoProfileStore(documentClient(), cfg.appTable);
const reports = new S3ReportStore(s3Client(), cfg.reportsBucket);
const erasures = new DynamoErasureStore(documentClient(), cfg.appTable);
const served = (out: ServedBody): RouteResult =>
  'stream' in out
    ? { statusCode: 200, headers: { 'content-type': out.contentType }, stream: out.stream }
    : text(200, out.contentType, out.body);

/** The URL streams (`RESPONSE_STREAM`): customer lists are sent a part at a time. */
export const invokeMode = 'RESPONSE_STREAM';

/** `GET /insights/{customerId}`: a summary; `GET /reports/{date}[/winback]`: a report, a win-back list. */
export const api = defineApi([
  {
    method: 'GET',
    path: '/insights/{customerId}',
    doc: {
      summary: 'A customer summary as of the latest processed day',
      params: { customerId: CustomerId },
      responses: { 200: 'Counts, rates with sample sizes, RFM, engagement, churn risk, text.' },
    },
    handle: async ({ params }) =>
      json(200, await insightsOf(profiles, erasures, params.customerId ?? '')),
  },
  {
    method: 'GET',
    path: '/reports/{date}',
    doc: reportRouteDoc('A nightly report: summary, whole-base CSV or page', [
      'json',
      'csv',
      'html',
    ]),
    handle: async (request) => served(await serveReport(reports, erasures, request)),
  },
  {
    method: 'GET',
    path: '/reports/{date}/winback',
    doc: reportRouteDoc('The win-back list: at risk, hibernating, lost', ['json', 'csv']),
    handle: async (request) => served(await serveWinback(reports, erasures, request)),
  },
]);

export const handler = api.streamHandler;
