import { documentClient } from '#lib/aws/clients.ts';
import { DynamoCatalogStore } from '#lib/catalog/store.ts';
import { config } from '#lib/config.ts';
import { cachedExemplars, DynamoVariantStore } from '#lib/copy/variants.ts';
import {
  GENERATE_MAX_BYTES,
  GenerateBody,
  GenerateRequest,
  generate,
} from '#lib/generate/generate.ts';
import { defineApi } from '#lib/http/api.ts';
import { readJson } from '#lib/http/body.ts';
import { DynamoProfileStore } from '#lib/insights/profileStore.ts';
import { modelForRequest, warmModel } from '#lib/model/runtime.ts';

const cfg = config();
warmModel();
const variants = new DynamoVariantStore(documentClient(), cfg.appTable);
const deps = {
  model: modelForRequest,
  stores: {
    profiles: new DynamoProfileStore(documentClient(), cfg.appTable),
    catalog: new DynamoCatalogStore(documentClient(), cfg.appTable),
    variants,
    exemplars: cachedExemplars(variants, cfg.copy.exemplarCacheMs),
    blocklist: cfg.copy.blocklist,
    pricing: cfg.pricing,
  },
};

/** The URL streams (`RESPONSE_STREAM`): `stream: true` copy requests send tokens as they come. */
export const invokeMode = 'RESPONSE_STREAM';

/** `POST /generate`: marketing copy by `kind` (best-of-N, scored, optionally streamed) or raw continuations. */
export const api = defineApi([
  {
    method: 'POST',
    path: '/generate',
    doc: {
      summary: 'Marketing copy (kind, best-of-N, scored) or raw continuations of a prompt',
      description:
        'A body with `prompt` is a raw generation; otherwise a copy request by `kind`. `stream: true` answers application/x-ndjson: start, token/leader lines, then the result (or an error) line.',
      body: GenerateRequest,
      responses: {
        200: 'Variants with scores, model identity, parameters, timings and cost.',
        422: 'No candidate met the hard constraints (length, blocklist); the message says which failed.',
      },
      produces: ['application/json', 'application/x-ndjson'],
    },
    handle: async (request) =>
      generate(
        deps,
        readJson(request, GenerateBody, { maxBytes: GENERATE_MAX_BYTES, what: 'generate request' }),
        request,
      ),
  },
]);

export const handler = api.streamHandler;
