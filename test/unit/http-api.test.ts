import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NotFoundError } from '#lib/errors.ts';
import { defineApi } from '#lib/http/api.ts';
import { readJson } from '#lib/http/body.ts';
import { json } from '#lib/http/response.ts';

function event(
  method: string,
  rawPath: string,
  body?: string,
  headers: Record<string, string> = {},
) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: 'a=1',
    headers: { 'content-type': 'application/json', ...headers },
    requestContext: { http: { method }, requestId: 'req-1' },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  } as unknown as LambdaFunctionURLEvent;
}

const Item = z.strictObject({ name: z.string().min(1), qty: z.number().int().positive() });

const api = defineApi([
  {
    method: 'GET',
    path: '/customers/{customerId}',
    handle: async (req) => json(200, { id: req.params.customerId, a: req.query.get('a') }),
  },
  {
    method: 'POST',
    path: '/items',
    handle: async (req) => json(201, readJson(req, Item, { maxBytes: 100, what: 'item' })),
  },
  {
    method: 'GET',
    path: '/missing',
    handle: async () => Promise.reject(new NotFoundError('no such thing')),
  },
  { method: 'GET', path: '/boom', handle: async () => Promise.reject(new Error('secret detail')) },
]);

const body = (r: { body?: string }) => JSON.parse(r.body ?? '{}');

describe('defineApi', () => {
  it('passes decoded path parameters and the query string to the route', async () => {
    const res = await api.handler(event('GET', '/customers/c%201'));

    expect(res.statusCode).toBe(200);
    expect(body(res)).toEqual({ id: 'c 1', a: '1' });
  });

  it('answers an unknown path with 404 listing the routes', async () => {
    const res = await api.handler(event('GET', '/nope'));

    expect(res.statusCode).toBe(404);
    expect(body(res).error.message).toMatch(/No route for GET \/nope\. Available: GET \/customers/);
  });

  it('answers a known path with another method with 405 and an allow header', async () => {
    const res = await api.handler(event('DELETE', '/items'));

    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toBe('POST');
    expect(body(res).error.code).toBe('method_not_allowed');
  });

  it('maps an exposed AppError to its status and message', async () => {
    const res = await api.handler(event('GET', '/missing'));

    expect(res.statusCode).toBe(404);
    expect(body(res).error).toMatchObject({
      code: 'not_found',
      message: 'no such thing',
      requestId: 'req-1',
    });
  });

  it('hides the details of an unexpected error behind a generic 500', async () => {
    const res = await api.handler(event('GET', '/boom'));

    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret detail');
    expect(body(res).error.code).toBe('internal_error');
  });
});

describe('readJson', () => {
  it('rejects malformed JSON with 400 saying to send JSON', async () => {
    const res = await api.handler(event('POST', '/items', '{"name":'));

    expect(res.statusCode).toBe(400);
    expect(body(res).error.message).toMatch(/not valid JSON.*send a JSON object/);
  });

  it('lists each invalid and unknown field by path', async () => {
    const res = await api.handler(event('POST', '/items', '{"name":"","qty":1.5,"extra":true}'));

    expect(res.statusCode).toBe(400);
    const paths = body(res).error.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'qty', 'extra']));
    expect(body(res).error.message).toMatch(/extra/);
  });

  it('rejects a body over the limit with 413', async () => {
    const res = await api.handler(
      event('POST', '/items', JSON.stringify({ name: 'x'.repeat(200), qty: 1 })),
    );

    expect(res.statusCode).toBe(413);
  });

  it('rejects a non-JSON content type with 415', async () => {
    const res = await api.handler(
      event('POST', '/items', 'name=x', { 'content-type': 'text/plain' }),
    );

    expect(res.statusCode).toBe(415);
  });

  it('rejects an empty body with 400', async () => {
    const res = await api.handler(event('POST', '/items', ''));

    expect(res.statusCode).toBe(400);
    expect(body(res).error.message).toMatch(/empty/);
  });

  it('accepts a valid body', async () => {
    const res = await api.handler(event('POST', '/items', '{"name":"a","qty":2}'));

    expect(res.statusCode).toBe(201);
    expect(body(res)).toEqual({ name: 'a', qty: 2 });
  });
});
