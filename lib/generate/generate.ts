import { z } from 'zod';
import { CopyRequest } from '../copy/request.ts';
import { type CopyDeps, type CopyStreamEvent, writeCopy } from '../copy/writeCopy.ts';
import { streamNdjson } from '../http/ndjson.ts';
import { json, type RouteResult } from '../http/response.ts';
import { MetricUnit, metrics } from '../metrics.ts';
import type { Language } from '../model/language.ts';
import type { ModelForRequest } from '../model/runtime.ts';
import { validate } from '../validation.ts';
import { RawGenerateRequest, type RawStreamEvent, rawGenerate } from './rawGenerate.ts';

/** Largest accepted generate body. */
export const GENERATE_MAX_BYTES = 64 * 1024;

/** A generate body before it is told apart: any JSON object. */
export const GenerateBody = z.record(z.string(), z.unknown(), { error: 'must be a JSON object' });

/** Both forms of `POST /generate`, for the API description. */
export const GenerateRequest = z.union([RawGenerateRequest, CopyRequest]);

/** What {@link generate} needs: the copy stores and a way to get the model. */
export interface GenerateDeps {
  stores: Omit<CopyDeps, 'model'>;
  /** The model for a language (`en` when not given); a language it cannot write is a 400. */
  model: (language?: Language) => Promise<ModelForRequest>;
}

/** What both generation results report about the work done. */
interface GenerationTelemetry {
  usage: { completionTokens: number };
  timings: { generateMs: number };
}

/** Adds the call's `TokensGenerated` and `GenerationLatency` metrics; returns the result. */
function recordGeneration<R extends GenerationTelemetry>(result: R): R {
  metrics().addMetric('TokensGenerated', MetricUnit.Count, result.usage.completionTokens);
  metrics().addMetric('GenerationLatency', MetricUnit.Milliseconds, result.timings.generateMs);
  return result;
}

/**
 * Metrics of a streamed result, published when the stream ends: by then the
 * request's own metrics have been published, so the route dimension is set again.
 */
function publishStreamed(result: GenerationTelemetry): void {
  metrics().addDimension('route', 'POST /generate');
  recordGeneration(result);
  metrics().publishStoredMetrics();
}

/**
 * `POST /generate`: a body with `prompt` is a raw generation; anything else
 * is a copy request by `kind`, answered whole or (with `stream: true`) as
 * NDJSON. Each form is validated once, with its own schema, so a 400 names
 * the fields of the form the client meant.
 *
 * @example
 * ```ts
 * const result = await generate(deps, { kind: 'sms', product: { name: 'Trail Runner 2' } }, { requestId });
 * ```
 */
export async function generate(
  deps: GenerateDeps,
  body: Record<string, unknown>,
  call: { requestId: string; deadline?: number },
): Promise<RouteResult> {
  const { requestId } = call;
  const timing = call.deadline === undefined ? {} : { deadline: call.deadline };
  if ('prompt' in body) {
    const raw = validate(RawGenerateRequest, body, 'generate request');
    const { model, loadMs } = await deps.model(raw.language);
    const { pricing } = deps.stores;
    if (!raw.stream) {
      return json(
        200,
        recordGeneration(await rawGenerate(model, raw, loadMs, pricing, undefined, timing)),
      );
    }
    return streamNdjson<RawStreamEvent, Awaited<ReturnType<typeof rawGenerate>>>(
      (emit) => rawGenerate(model, raw, loadMs, pricing, emit, timing),
      { requestId, isStart: (event) => event.event === 'start', onResult: publishStreamed },
    );
  }
  const request = validate(CopyRequest, body, 'generate request');
  const { model, loadMs } = await deps.model(request.language);
  const copyDeps = { ...deps.stores, model };
  if (!request.stream) {
    return json(200, recordGeneration(await writeCopy(copyDeps, request, { loadMs, ...timing })));
  }
  return streamNdjson<CopyStreamEvent, Awaited<ReturnType<typeof writeCopy>>>(
    (emit) => writeCopy(copyDeps, request, { loadMs, onEvent: emit, ...timing }),
    { requestId, isStart: (event) => event.event === 'start', onResult: publishStreamed },
  );
}
