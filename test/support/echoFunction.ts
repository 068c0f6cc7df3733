import { z } from 'zod';
import { defineApi } from '#lib/http/api.ts';
import { readJson } from '#lib/http/body.ts';
import { json } from '#lib/http/response.ts';

/** A test-only function module: echoes what the bridge delivered. */
export const api = defineApi([
  {
    method: 'POST',
    path: '/echo',
    handle: async (req) => {
      const body = readJson(req, z.object({ message: z.string() }), { maxBytes: 8 * 1024 * 1024 });
      return json(200, {
        body,
        query: req.query.get('q'),
        cookies: req.event.cookies ?? [],
        version: req.event.version,
        http: req.event.requestContext.http,
      });
    },
  },
  {
    method: 'PUT',
    path: '/binary',
    handle: async (req) =>
      json(200, { isBase64Encoded: req.event.isBase64Encoded, bytes: [...req.body] }),
  },
  {
    method: 'GET',
    path: '/cookie',
    handle: async () => ({ statusCode: 204, cookies: ['a=1; Path=/', 'b=2'] }),
  },
  {
    method: 'GET',
    path: '/throw',
    handle: async () => {
      throw new TypeError('internal detail');
    },
  },
]);

export const handler = api.handler;
