import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentClient } from '#lib/aws/clients.ts';
import { DynamoEventStore } from '#lib/events/store.ts';
import { type Bridge, startBridge } from '#local/bridge.ts';
import { HTTP_FUNCTIONS } from '#local/functions.ts';
import { testConfig } from '#test/support/clients.ts';
import { HOSTILE_IDS } from '#test/support/hostile.ts';
import { publishTinyModel } from '#test/support/tinyModel.ts';

/**
 * Property-based: random and malformed requests at every endpoint through the
 * local bridge (the same handlers Lambda runs). Every answer is a 2xx or a
 * 4xx, errors are JSON with a code, nothing crashes, and a customer stored
 * before the storm is untouched after it.
 */
/** Starting the bridge and storing the kept customer (a cold model load included). */
const SETUP_TIMEOUT_MS = 60_000;
/** One endpoint's storm: 100 requests, some of 1 MB, some of them generating. */
const STORM_TIMEOUT_MS = 120_000;
/** Runs per endpoint and the fixed seed that makes a failure reproducible. */
const STORM = { numRuns: 100, seed: 20261123 };

const cfg = testConfig();
const store = new DynamoEventStore(documentClient(), cfg.eventsTable);
const KEEP = `fuzz-keep-${Date.now()}`;
let bridge: Bridge;
let before: string;

const snapshot = async () =>
  JSON.stringify((await store.customerEvents(KEEP)).map((e) => [e.eventId, e.type, e.ts]).sort());

beforeAll(async () => {
  const manifest = await publishTinyModel('test/fuzz');
  process.env.MUSE_MODEL_ID = manifest.id;
  process.env.MUSE_MODEL_CACHE_DIR = `${process.env.TMPDIR ?? '/tmp'}/muse-fuzz-test-${Date.now()}`;
  bridge = await startBridge({ port: 0, functions: HTTP_FUNCTIONS });
  const stored = await fetch(`${bridge.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      {
        eventId: `${KEEP}-1`,
        customerId: KEEP,
        type: 'view',
        ts: new Date(Date.now() - 60_000).toISOString(),
        itemId: 'item-1',
      },
    ]),
  });
  expect(stored.status).toBe(200);
  before = await snapshot();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await bridge.close();
});

const PATHS = [
  '/generate',
  '/recommend',
  '/events',
  '/health',
  '/insights/',
  '/reports/',
  '/customers/',
] as const;

/** Hostile ids, plus ones the id rule refuses. */
const HOSTILE = [...HOSTILE_IDS, 'x'.repeat(129), '.', '..'];

/** Numbers DynamoDB cannot store, and ones at the edges. */
const HOSTILE_NUMBERS = [1e16, 1e126, 1e200, 1e-200, 5e-324, 2 ** 60, -1, 0, 1e9];

/** A path segment: plausible ids, hostile ids, dates, junk and encoded junk, never the kept customer. */
const segment = fc.oneof(
  fc.constantFrom('latest', '2026-11-22', 'cust-00001', '..', '%00', '%E0%A4%A', 'a b'),
  fc.constantFrom(...HOSTILE).map(encodeURIComponent),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
);

/** Field values, often hostile ids and unstorable numbers. */
const value = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom<unknown>(...HOSTILE, ...HOSTILE_NUMBERS),
  fc.dictionary(fc.constantFrom(...HOSTILE), fc.constantFrom(...HOSTILE_NUMBERS), {
    maxKeys: 3,
  }),
);

/** Bodies: JSON values (often objects with the real field names), text, binary, large. */
const FIELDS = [
  'prompt',
  'kind',
  'product',
  'n',
  'candidates',
  'customerId',
  'need',
  'k',
  'type',
  'eventId',
  'ts',
  'stream',
  'filters',
  'diversity',
  'value',
  'props',
  'itemId',
  'campaignId',
  'variantId',
];
const body = fc.oneof(
  fc.json(),
  fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  fc
    .array(fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 5 }), {
      maxLength: 4,
    })
    .map((a) => JSON.stringify(a)),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  {
    weight: 2,
    arbitrary: fc.constantFrom(10, 70_000, 1_100_000).map((size) => `[${'1,'.repeat(size)}1]`),
  },
);

const request = (endpoint: (typeof PATHS)[number]) =>
  fc.record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
    path: segment.map((s) => (endpoint.endsWith('/') ? `${endpoint}${s}` : endpoint)),
    query: fc.constantFrom('', '?format=csv', '?format=xml', '?a=%ZZ'),
    contentType: fc.constantFrom(
      'application/json',
      'application/x-ndjson',
      'text/plain',
      'multipart/form-data; boundary=x',
      '',
    ),
    accept: fc.constantFrom('*/*', 'text/html', 'text/csv', 'application/json'),
    body,
  });

describe('every endpoint under random and malformed input (fast-check)', () => {
  it.each(PATHS)(
    '%s: answers 2xx or 4xx (JSON errors with a code), never 5xx, reaches its handler and leaves stored data alone',
    async (endpoint) => {
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(request(endpoint), async (r) => {
          const hasBody = r.method !== 'GET' && r.method !== 'DELETE';
          const res = await fetch(`${bridge.url}${r.path}${r.query}`, {
            method: r.method,
            headers: {
              accept: r.accept,
              ...(r.contentType ? { 'content-type': r.contentType } : {}),
            },
            ...(hasBody ? { body: r.body } : {}),
          });
          const text = await res.text();
          seen.add(res.status);
          expect(
            res.status,
            `${r.method} ${r.path} → ${res.status} ${text.slice(0, 200)}`,
          ).toBeLessThan(500);
          if (res.status >= 400) {
            expect(res.headers.get('content-type')).toMatch(/^application\/json/);
            expect(JSON.parse(text).error.code).toEqual(expect.any(String));
          } else {
            expect(res.headers.get('content-type')).toMatch(
              /^(application\/json|application\/x-ndjson|text\/csv|text\/html)/,
            );
          }
        }),
        STORM,
      );
      // Not only routing answers (404, 405): the handler itself answered some requests.
      expect([...seen].filter((status) => status !== 404 && status !== 405)).not.toEqual([]);
      expect(await snapshot()).toBe(before);
    },
    STORM_TIMEOUT_MS,
  );
});
