import { documentClient, s3Client } from '#lib/aws/clients.ts';
import { DynamoCatalogStore } from '#lib/catalog/store.ts';
import { config } from '#lib/config.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { defineApi } from '#lib/http/api.ts';
import { readJson } from '#lib/http/body.ts';
import { json } from '#lib/http/response.ts';
import { S3SignalStore } from '#lib/insights/signals.ts';
import { modelForRequest, warmModel } from '#lib/model/runtime.ts';
import { RECOMMEND_MAX_BYTES, RecommendRequest } from '#lib/recommend/request.ts';
import { RecommendService } from '#lib/recommend/service.ts';

const cfg = config();
warmModel();
const service = new RecommendService({
  events: new DynamoEventStore(documentClient(), cfg.eventsTable),
  catalog: new DynamoCatalogStore(documentClient(), cfg.appTable),
  signals: new S3SignalStore(s3Client(), cfg.reportsBucket),
  weights: cfg.recommend.weights,
  lm: cfg.recommend.lm,
  pricing: cfg.pricing,
});

/** `POST /recommend`: items for a customer or a free-text need, re-ranked by GPT-2, with reasons. */
export const api = defineApi([
  {
    method: 'POST',
    path: '/recommend',
    doc: {
      summary: 'Items for a customer or a free-text need, re-ranked by GPT-2, with reasons',
      body: RecommendRequest,
      responses: {
        200: 'Up to k items with score components and a reason each, timings and cost.',
      },
    },
    handle: async (request) => {
      const body = readJson(request, RecommendRequest, {
        maxBytes: RECOMMEND_MAX_BYTES,
        what: 'recommend request',
      });
      return json(200, await service.recommend(body, await modelForRequest()));
    },
  },
]);

export const handler = api.handler;
