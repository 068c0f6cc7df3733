import { config } from '#lib/config.ts';
import { RawGenerateRequest, rawGenerate } from '#lib/generate/rawGenerate.ts';
import { defineApi } from '#lib/http/api.ts';
import { readJson } from '#lib/http/body.ts';
import { json } from '#lib/http/response.ts';
import { getModel } from '#lib/model/runtime.ts';

config();
// Start loading at cold start so the first request waits less; errors surface per request.
getModel().catch(() => undefined);

/** `POST /generate`: sample continuations of a prompt from the quantized GPT-2. */
export const api = defineApi([
  {
    method: 'POST',
    path: '/generate',
    handle: async (request) => {
      const body = readJson(request, RawGenerateRequest, {
        maxBytes: 64 * 1024,
        what: 'generate request',
      });
      const waited = performance.now();
      const { model } = await getModel();
      return json(200, await rawGenerate(model, body, performance.now() - waited));
    },
  },
]);

export const handler = api.handler;
