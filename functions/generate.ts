import { z } from 'zod';
import { AsyncQueue } from '#lib/async.ts';
import { documentClient } from '#lib/aws/clients.ts';
import { DynamoCatalogStore } from '#lib/catalog/store.ts';
import { config } from '#lib/config.ts';
import { CopyRequest } from '#lib/copy/request.ts';
import { cachedExemplars, DynamoVariantStore } from '#lib/copy/variants.ts';
import { type CopyDeps, type CopyStreamEvent, writeCopy } from '#lib/copy/writeCopy.ts';
import { RawGenerateRequest, rawGenerate } from '#lib/generate/rawGenerate.ts';
import { defineApi } from '#lib/http/api.ts';
import { readJson } from '#lib/http/body.ts';
import { streamingLambdaHandler } from '#lib/http/lambdaStreaming.ts';
import { errorResponse, json, type RouteResult } from '#lib/http/response.ts';
import { validate } from '#lib/http/validation.ts';
import { DynamoProfileStore } from '#lib/insights/profileStore.ts';
import { MetricUnit, metrics } from '#lib/metrics.ts';
import { getModel } from '#lib/model/runtime.ts';

const cfg = config();
// Start loading at cold start so the first request waits less; errors surface per request.
getModel().catch(() => undefined);
const variants = new DynamoVariantStore(documentClient(), cfg.appTable);
const stores: Omit<CopyDeps, 'model'> = {
  profiles: new DynamoProfileStore(documentClient(), cfg.appTable),
  catalog: new DynamoCatalogStore(documentClient(), cfg.appTable),
  variants,
  exemplars: cachedExemplars(variants, cfg.copy.exemplarCacheMs),
  blocklist: cfg.copy.blocklist,
  cost: { gbSecondUsd: cfg.copy.gbSecondUsd, memoryMb: cfg.copy.memoryMb },
};

/** The URL streams (`RESPONSE_STREAM`): `stream: true` copy requests send tokens as they come. */
export const invokeMode = 'RESPONSE_STREAM';

const line = (value: unknown) => `${JSON.stringify(value)}\n`;

/**
 * A streamed copy response (NDJSON): the `start` event, then the leading
 * candidate's tokens, then `{"event":"result", …}` with the same body as a
 * non-streaming call, or `{"event":"error", …}`. Errors before generation
 * starts (budget, context) are ordinary 4xx responses.
 */
async function streamCopy(
  deps: CopyDeps,
  request: CopyRequest,
  loadMs: number,
): Promise<RouteResult> {
  const queue = new AsyncQueue<string>();
  let started: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const done = writeCopy(deps, request, {
    loadMs,
    onEvent: (event: CopyStreamEvent) => {
      queue.push(line(event));
      if (event.event === 'start') started();
    },
  }).then(
    (result) => {
      recordGeneration(result);
      queue.push(line({ event: 'result', ...result }));
      queue.close();
    },
    (error: unknown) => {
      const response = errorResponse(error);
      queue.push(
        line({ event: 'error', status: response.statusCode, ...JSON.parse(response.body ?? '{}') }),
      );
      queue.close();
      return error;
    },
  );
  // Until generation starts, a failure is a plain error response.
  const first = await Promise.race([ready.then(() => undefined), done]);
  if (first !== undefined) throw first;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' },
    stream: queue,
  };
}

/** What both generation results report about the work done. */
interface GenerationTelemetry {
  usage: { completion_tokens: number };
  timings: { generate_ms: number };
}

/** Adds the call's `TokensGenerated` and `GenerationLatency` metrics; returns the result. */
function recordGeneration<R extends GenerationTelemetry>(result: R): R {
  metrics().addMetric('TokensGenerated', MetricUnit.Count, result.usage.completion_tokens);
  metrics().addMetric('GenerationLatency', MetricUnit.Milliseconds, result.timings.generate_ms);
  return result;
}

/**
 * `POST /generate`: marketing copy (`kind`, best-of-N, scored, optionally
 * streamed) or raw continuations of a `prompt`, from the quantized GPT-2.
 */
export const api = defineApi([
  {
    method: 'POST',
    path: '/generate',
    doc: {
      summary: 'Marketing copy (kind, best-of-N, scored) or raw continuations of a prompt',
      description:
        'A body with `prompt` is a raw generation; otherwise a copy request by `kind`. `stream: true` answers application/x-ndjson: start, token/leader lines, then the result (or an error) line.',
      body: z.union([RawGenerateRequest, CopyRequest]),
      responses: {
        200: 'Variants with scores, model identity, parameters, timings and cost.',
        422: 'No candidate met the hard constraints (length, blocklist); the message says which failed.',
      },
      produces: ['application/json', 'application/x-ndjson'],
    },
    handle: async (request) => {
      const body = readJson(
        request,
        z.record(z.string(), z.unknown(), { error: 'must be a JSON object' }),
        {
          maxBytes: 64 * 1024,
          what: 'generate request',
        },
      );
      if ('prompt' in body) {
        const raw = validate(RawGenerateRequest, body, 'generate request');
        const waited = performance.now();
        const { model } = await getModel();
        return json(
          200,
          recordGeneration(await rawGenerate(model, raw, performance.now() - waited)),
        );
      }
      const copy = validate(CopyRequest, body, 'generate request');
      const waited = performance.now();
      const { model } = await getModel();
      const deps = { ...stores, model };
      const loadMs = performance.now() - waited;
      if (copy.stream) return streamCopy(deps, copy, loadMs);
      return json(200, recordGeneration(await writeCopy(deps, copy, { loadMs })));
    },
  },
]);

export const handler = streamingLambdaHandler(api);
