import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthReport } from '#lib/health/health.ts';
import { ADMIN_HEADER, adminApi } from '#local/adminApi.ts';
import { callAdmin } from '#local/adminClient.ts';
import { type Bridge, MAX_BODY_BYTES, startBridge } from '#local/bridge.ts';
import { HTTP_FUNCTIONS } from '#local/functions.ts';
import type { Scheduler } from '#local/scheduler.ts';
import { announceBridge, findRunningBridge } from '#local/stack.ts';

let bridge: Bridge;

interface ErrorBody {
  error: { code: string; message: string };
}
const errorOf = async (res: Response) => (await res.json()) as ErrorBody;

/** A scheduler with one job that only counts its runs (the admin routes' job runner). */
let jobRuns = 0;
const jobOptions: unknown[] = [];
const scheduler: Scheduler = {
  nextRuns: () => ({ tick: null }),
  runNow: async (_name, options) => {
    jobOptions.push(options);
    return ++jobRuns;
  },
  stop: async () => {},
};
const admin = adminApi(scheduler, { putItems: async () => {}, register: async () => {} });

beforeAll(async () => {
  bridge = await startBridge({
    port: 0,
    functions: {
      ...HTTP_FUNCTIONS,
      echo: () => import('#test/support/echoFunction.ts'),
      local: async () => ({ api: admin, handler: admin.handler }),
    },
  });
});

/** A raw HTTP request (fetch cannot set Host), answered as status, headers and body. */
function raw(method: string, path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${bridge.url}${path}`, { method, headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
afterAll(async () => {
  await bridge.close();
});

const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  fetch(`${bridge.url}${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('HTTP bridge', () => {
  it('serves GET /health with the tables and buckets it checked', async () => {
    const res = await fetch(`${bridge.url}/health`);
    const body = (await res.json()) as HealthReport;

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(body.status).toBe('ok');
    expect(Object.values(body.tables).map((t) => t.name)).toEqual(['muse-app', 'muse-events']);
    expect(Object.values(body.buckets).map((b) => b.name)).toEqual(['muse-models', 'muse-reports']);
  });

  it('delivers a payload 2.0 event with query, cookies and method', async () => {
    const res = await post('/echo?q=hi', '{"message":"x"}', { cookie: 'a=1; b=2' });
    const body = await res.json();

    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      body: { message: 'x' },
      query: 'hi',
      cookies: ['a=1', 'b=2'],
      version: '2.0',
      http: { method: 'POST', path: '/echo' },
    });
  });

  it('base64-encodes a binary body as the function-URL service does', async () => {
    const res = await fetch(`${bridge.url}/binary`, {
      method: 'PUT',
      body: Buffer.from([0, 255, 1]),
      headers: { 'content-type': 'application/octet-stream' },
    });

    expect(await res.json()).toEqual({ isBase64Encoded: true, bytes: [0, 255, 1] });
  });

  it('writes response cookies as set-cookie headers', async () => {
    const res = await fetch(`${bridge.url}/cookie`);

    expect(res.status).toBe(204);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2']);
  });

  it('answers an unknown path with a 404 JSON listing the routes', async () => {
    const res = await fetch(`${bridge.url}/nope`);
    const { error } = await errorOf(res);

    expect(res.status).toBe(404);
    expect(error.message).toMatch(/No function serves GET \/nope\. Available: GET \/health/);
  });

  it('answers a wrong method with a 405 JSON and an allow header', async () => {
    const res = await fetch(`${bridge.url}/health`, { method: 'DELETE' });

    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
    expect((await errorOf(res)).error.code).toBe('method_not_allowed');
  });

  it('answers a body over 6 MB with a 413 JSON', async () => {
    const res = await post('/echo', Buffer.alloc(MAX_BODY_BYTES + 1, 0x20));

    expect(res.status).toBe(413);
    expect((await errorOf(res)).error.message).toMatch(/over the 6291456-byte limit/);
  });

  it('answers invalid JSON with a 400 that says how to fix it', async () => {
    const res = await post('/echo', '{"message": ');

    expect(res.status).toBe(400);
    expect((await errorOf(res)).error.message).toMatch(
      /not valid JSON.*content-type: application\/json/,
    );
  });

  it('turns a crashing handler into a generic 500 JSON and keeps serving', async () => {
    const crashed = await fetch(`${bridge.url}/throw`);
    const after = await fetch(`${bridge.url}/health`);

    expect(crashed.status).toBe(500);
    expect(await crashed.text()).not.toContain('internal detail');
    expect(after.status).toBe(200);
  });

  it('answers a malformed HTTP request with 400 and keeps serving', async () => {
    const { port } = new URL(bridge.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () =>
        socket.end('NOT HTTP AT ALL\r\n\r\n'),
      );
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    const after = await fetch(`${bridge.url}/health`);

    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(raw).toContain('"code":"bad_request"');
    expect(after.status).toBe(200);
  });

  it('refuses a Host that is not this server on loopback (DNS rebinding) with 403', async () => {
    const port = new URL(bridge.url).port;

    const foreign = await raw('GET', '/health', { host: `evil.example:${port}` });
    const local = await raw('GET', '/health', { host: `localhost:${port}` });

    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error.code).toBe('forbidden_host');
    expect(local.status).toBe(200);
  });

  it('runs admin jobs only for POST with JSON and the CLI header, not for a cross-site text/plain post', async () => {
    const before = jobRuns;

    const crossSite = await post('/_local/jobs/tick', '{}', { 'content-type': 'text/plain' });
    const noHeader = await post('/_local/jobs/tick', '{}');
    const cli = await post('/_local/jobs/tick', '{}', ADMIN_HEADER);

    expect([crossSite.status, noHeader.status, cli.status]).toEqual([403, 403, 200]);
    expect(jobRuns).toBe(before + 1);
  });

  it('hands a job the options of the JSON body (none for an empty body) and answers malformed JSON with 400', async () => {
    jobOptions.length = 0;

    const withOptions = await callAdmin(bridge.url, '/_local/jobs/tick', { date: '2026-11-22' });
    const without = await callAdmin(bridge.url, '/_local/jobs/tick');
    const malformed = await post('/_local/jobs/tick', '{"date":', ADMIN_HEADER);

    expect([withOptions.status, without.status, malformed.status]).toEqual([200, 200, 400]);
    expect(jobOptions).toEqual([{ date: '2026-11-22' }, undefined]);
  });

  it('is found by the data directory it announced, whatever its port, and not after it stops announcing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'muse-announce-'));
    const elsewhere = { port: 1, dataDir };

    const unannounce = await announceBridge(dataDir, bridge.url);
    const found = await findRunningBridge(elsewhere);
    await unannounce();

    expect(found).toBe(bridge.url);
    expect(await findRunningBridge(elsewhere)).toBeUndefined();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('does not list the admin routes in a 404', async () => {
    const res = await fetch(`${bridge.url}/nope`);

    expect((await errorOf(res)).error.message).not.toContain('/_local');
  });

  it('answers a very long path with a well-formed 431: JSON for GET, no body for HEAD', async () => {
    const path = `/${'a'.repeat(20_000)}`;

    const head = await raw('HEAD', path, {});
    const get = await raw('GET', path, {});

    expect([head.status, head.body]).toEqual([431, '']);
    expect(get.status).toBe(431);
    expect(JSON.parse(get.body).error.code).toBe('headers_too_large');
  });
});
