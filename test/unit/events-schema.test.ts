import { describe, expect, it } from 'vitest';
import { parseConfig } from '#lib/config.ts';
import type { AppError } from '#lib/errors.ts';
import { batchFormat, parseBatch } from '#lib/events/ingest.ts';
import {
  DEFAULT_EVENT_SHARDS,
  dayLayout,
  isShardCount,
  partitionsOf,
  shardOf,
  toStoredEvent,
} from '#lib/events/keys.ts';
import { checkEvent, EVENT_LIMITS } from '#lib/events/schema.ts';
import { PROFILE_WINDOW_DAYS } from '#lib/insights/profiles.ts';

const NOW = new Date('2026-11-23T12:00:00Z');
const clock = { now: NOW, retentionDays: 400 };
const valid = {
  eventId: 'ev-1',
  customerId: 'cust-1',
  type: 'purchase',
  ts: '2026-11-23T11:00:00+01:00',
  channel: 'web',
  itemId: 'item-1',
  value: 49.5,
  currency: 'EUR',
  props: { coupon: 'SPRING', first: true },
};

const statusOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as AppError).statusCode;
  }
  return 200;
};

describe('engagement event validation', () => {
  it('accepts a complete event', () => {
    expect(checkEvent(valid, clock)).toMatchObject({ ok: true, event: { eventId: 'ev-1' } });
  });

  it('rejects an unknown field, naming it', () => {
    const check = checkEvent({ ...valid, customerID: 'x' }, clock);

    expect(check).toMatchObject({ ok: false, eventId: 'ev-1' });
    expect(check.ok || check.issues[0]).toEqual({ path: 'customerID', message: 'unknown field' });
  });

  it('answers a snake_case field with its camelCase name', () => {
    const check = checkEvent({ ...valid, campaign_id: 'c-1' }, clock);

    expect(check.ok || check.issues[0]).toEqual({
      path: 'campaign_id',
      message: 'unknown field (fields are camelCase: campaignId)',
    });
  });

  it('rejects an unknown type with the allowed list', () => {
    const check = checkEvent({ ...valid, type: 'like' }, clock);

    expect(check.ok || check.issues).toEqual([
      { path: 'type', message: expect.stringMatching(/one of delivered, open, click/) },
    ]);
  });

  it('accepts a ts 4 minutes ahead (clock skew) and rejects one 6 minutes ahead', () => {
    const ahead = (min: number) => new Date(NOW.getTime() + min * 60_000).toISOString();

    expect(checkEvent({ ...valid, ts: ahead(4) }, clock).ok).toBe(true);
    expect(checkEvent({ ...valid, ts: ahead(6) }, clock)).toMatchObject({
      ok: false,
      issues: [{ path: 'ts', message: expect.stringMatching(/future/) }],
    });
  });

  it('rejects a ts older than the retention period', () => {
    const check = checkEvent({ ...valid, ts: '2025-10-01T00:00:00Z' }, clock);

    expect(check).toMatchObject({ ok: false, issues: [{ path: 'ts' }] });
  });

  it('rejects a ts without a zone', () => {
    expect(checkEvent({ ...valid, ts: '2026-11-23T10:00:00' }, clock).ok).toBe(false);
  });

  it('rejects props over 2 KB', () => {
    const props = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(250)]),
    );

    const check = checkEvent({ ...valid, props }, clock);

    expect(check).toMatchObject({ ok: false, issues: [{ path: 'props' }] });
  });

  it('rejects a negative purchase value', () => {
    expect(checkEvent({ ...valid, value: -1 }, clock)).toMatchObject({
      ok: false,
      issues: [{ path: 'value' }],
    });
  });
});

describe('event keys', () => {
  it('puts one event on the same key however its ts zone is written', () => {
    const a = toStoredEvent({ ...valid, ts: '2026-11-23T11:00:00+01:00' } as never, {
      receivedAt: NOW,
      retentionDays: 400,
    });
    const b = toStoredEvent({ ...valid, ts: '2026-11-23T10:00:00.000Z' } as never, {
      receivedAt: new Date(NOW.getTime() + 1000),
      retentionDays: 400,
    });

    expect([a.pk, a.sk]).toEqual([b.pk, b.sk]);
    expect(a.pk).toBe(`D#2026-11-23#${String(shardOf('cust-1')).padStart(2, '0')}`);
    expect(a.sk).toBe('2026-11-23T10:00:00.000Z#ev-1');
    expect(a.customerKey).toBe('C#cust-1');
    expect(a.expiresAt).toBe(Date.parse('2026-11-23T10:00:00Z') / 1000 + 400 * 86_400);
  });

  it('keys an event with the shard count it is written with, and records that count on the event', () => {
    const e = toStoredEvent(valid as never, { receivedAt: NOW, retentionDays: 400, shards: 256 });

    expect(e.shards).toBe(256);
    expect(e.pk).toBe(`D#2026-11-23#${String(shardOf('cust-1', 256)).padStart(2, '0')}`);
  });

  it('reads a processing shard from its partition under every count the day was written with', () => {
    const mixed = dayLayout([32, 16, 32]);
    const customers = Array.from({ length: 400 }, (_, i) => `c-${i}`);

    expect(mixed).toEqual({ counts: [16, 32], shards: 32 });
    expect(dayLayout([])).toEqual({ counts: [16], shards: 16 });
    expect(partitionsOf(mixed, 19)).toEqual([3, 19]);
    for (const id of customers) {
      const shard = shardOf(id, 32);
      expect(partitionsOf(mixed, shard)).toContain(shardOf(id, 16));
    }
  });

  it('takes powers of two from 1 to 1024 as shard counts, from MUSE_EVENT_SHARDS too', () => {
    expect([1, 16, 1024].every(isShardCount)).toBe(true);
    expect([0, 3, 48, 2048, 1.5, Number.NaN].some(isShardCount)).toBe(false);
    expect(parseConfig({ MUSE_EVENT_SHARDS: '64' }).events.shards).toBe(64);
    expect(parseConfig({}).events.shards).toBe(16);
    expect(() => parseConfig({ MUSE_EVENT_SHARDS: '48' }).events).toThrow(
      /MUSE_EVENT_SHARDS.*power of two from 1 to 1024/,
    );
  });

  it('spreads customers over every shard', () => {
    const shards = new Set(Array.from({ length: 500 }, (_, i) => shardOf(`cust-${i}`)));

    expect(shards.size).toBe(DEFAULT_EVENT_SHARDS);
  });
});

describe('batch parsing', () => {
  it('reads NDJSON, turning a bad line into an error at its index', () => {
    const body = Buffer.from(`${JSON.stringify(valid)}\n\nnot json\n${JSON.stringify(valid)}\n`);

    const { entries, errors } = parseBatch(body, 'ndjson');

    expect(entries).toHaveLength(3);
    expect(errors).toEqual([
      { index: 1, issues: [{ path: '', message: expect.stringMatching(/not JSON/) }] },
    ]);
  });

  it('rejects a batch over 500 events with 413', () => {
    const body = Buffer.from(JSON.stringify(Array.from({ length: 501 }, () => valid)));

    expect(statusOf(() => parseBatch(body, 'json'))).toBe(413);
  });

  it('rejects a body over 1 MB with 413', () => {
    const body = Buffer.alloc(EVENT_LIMITS.maxBatchBytes + 1, 0x20);

    expect(statusOf(() => parseBatch(body, 'json'))).toBe(413);
  });

  it('rejects a JSON object that is not an array with 400', () => {
    expect(statusOf(() => parseBatch(Buffer.from(JSON.stringify(valid)), 'json'))).toBe(400);
  });

  it('picks NDJSON from its content types and rejects form bodies with 415', () => {
    expect(batchFormat('application/x-ndjson')).toBe('ndjson');
    expect(batchFormat('application/json; charset=utf-8')).toBe('json');
    expect(batchFormat(undefined)).toBe('json');
    expect(statusOf(() => batchFormat('application/x-www-form-urlencoded'))).toBe(415);
  });

  it.each([1e16, 1e126, 1e200, 1e-200, 5e-324, -1, Number.NaN])(
    'rejects the unstorable value %s at its field, naming the range',
    (value) => {
      const check = checkEvent({ ...valid, value }, clock);

      expect(check.ok).toBe(false);
      expect(check.ok || check.issues[0]?.path).toBe('value');
    },
  );

  it.each([2 ** 60, 1e200, 1e-200, 5e-324])('rejects the props number %s', (n) => {
    const check = checkEvent({ ...valid, props: { n } }, clock);

    expect(check.ok || check.issues[0]?.path).toBe('props.n');
  });

  it('accepts props keys named after Object.prototype members except __proto__', () => {
    const props = JSON.parse('{"constructor":1,"toString":"a","valueOf":true}');

    expect(checkEvent({ ...valid, props }, clock)).toMatchObject({ ok: true, event: { props } });
  });

  it('refuses a props key __proto__ instead of silently dropping it', () => {
    const check = checkEvent({ ...valid, props: JSON.parse('{"__proto__":1}') }, clock);

    expect(check.ok || check.issues).toEqual([
      { path: 'props.__proto__', message: 'is a reserved key; rename it' },
    ]);
  });

  it.each(['__proto__', 'constructor', 'ünïcødé-客户', '🛒🎁', 'a b', 'x'.repeat(128)])(
    'accepts the id %s',
    (customerId) => {
      expect(checkEvent({ ...valid, customerId }, clock).ok).toBe(true);
    },
  );

  it.each(['.', '..', 'a/b', '', ' lead', 'tab\t', 'nul\u0000', '\u202Eevil', 'x'.repeat(129)])(
    'rejects the id %j, stating the rule',
    (customerId) => {
      const check = checkEvent({ ...valid, customerId }, clock);

      expect(check.ok || check.issues[0]?.message).toMatch(/1-128 printable characters/);
    },
  );

  it('accepts an event of 89 days ago and refuses one of 90, naming the window', () => {
    const daysAgo = (n: number) => new Date(NOW.getTime() - n * 86_400_000).toISOString();

    expect(checkEvent({ ...valid, ts: daysAgo(89) }, clock).ok).toBe(true);
    const old = checkEvent({ ...valid, ts: daysAgo(90) }, clock);
    expect(old.ok || old.issues[0]).toMatchObject({
      path: 'ts',
      message: expect.stringMatching(/more than 89 days before today/),
    });
  });

  it('accepts only days the nightly job can still apply to a profile', () => {
    expect(EVENT_LIMITS.maxAgeDays).toBeLessThan(PROFILE_WINDOW_DAYS);
  });
});
