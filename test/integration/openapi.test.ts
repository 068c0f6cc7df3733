import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { HTTP_FUNCTIONS } from '#local/functions.ts';
import { openApiApi } from '#local/openapiApi.ts';

interface Operation {
  requestBody?: { content: { 'application/json': { schema: object } } };
  parameters?: Array<{ name: string; in: string; schema: object }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

let bridge: Bridge;
let doc: Document;

beforeAll(async () => {
  const openapi = openApiApi(() => bridge.routes);
  bridge = await startBridge({
    port: 0,
    functions: {
      ...HTTP_FUNCTIONS,
      openapi: async () => ({ api: openapi, handler: openapi.handler }),
    },
  });
  doc = (await (await fetch(`${bridge.url}/openapi.json`)).json()) as Document;
});
afterAll(async () => {
  await bridge.close();
});

const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
const bodySchema = (path: string, method: string) =>
  ajv.compile(doc.paths[path]?.[method]?.requestBody?.content['application/json'].schema ?? {});

const post = async (path: string, body: unknown) =>
  (
    await fetch(`${bridge.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  ).status;

const product = { name: 'Trail Runner 2', features: ['light'], price: 89 };

describe('GET /openapi.json (generated from the zod schemas)', () => {
  it('describes every function route the bridge serves, as OpenAPI 3.1', () => {
    const served = bridge.routes
      .filter((r) => r.functionName in HTTP_FUNCTIONS)
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    const described = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();

    expect(doc.openapi).toBe('3.1.0');
    expect(described).toEqual(served);
  });

  // Each body: what the description says (ajv on the generated schema) must be
  // what the handler does (400 = rejected by validation; anything else = accepted).
  it.each([
    ['/recommend', { customerId: 'cust-1', k: 5 }],
    ['/recommend', { need: 'a light jacket', k: 50, diversity: 1, filters: { maxPrice: 80 } }],
    ['/recommend', { need: 'tent', k: 51 }],
    ['/recommend', { need: 'tent', colour: 'red' }],
    ['/recommend', { customerId: 'bad id with spaces' }],
    ['/recommend', { need: 'tent', filters: { categories: 'Outdoor' } }],
    ['/recommend', []],
    ['/recommend', { k: 3 }],
    ['/generate', { prompt: 'Our spring sale', n: 2, seed: 1 }],
    ['/generate', { prompt: '', n: 2 }],
    ['/generate', { prompt: 'Hi', n: 9 }],
    ['/generate', { kind: 'sms', product, n: 2, candidates: 4 }],
    ['/generate', { kind: 'tweet', product }],
    ['/generate', { kind: 'ad', product: { ...product, sku: 1 } }],
    ['/generate', { kind: 'email_subject', product, tone: 7 }],
    ['/events', []],
    ['/events', { events: [] }],
  ])('POST %s %j: description and handler agree', async (path, body) => {
    const described = bodySchema(path, 'post')(body);
    const status = await post(path, body);

    expect({ described, rejected: status === 400 }).toEqual({
      described: !(status === 400),
      rejected: status === 400,
    });
  });
});
