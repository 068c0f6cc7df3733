import { z } from 'zod';
import { DAY_MS, dayNumber, dayOf } from '../days.ts';
import type { FieldIssue } from '../errors.ts';
import { Id } from '../ids.ts';
import { toFieldIssues } from '../validation.ts';

/** Engagement event types, in funnel order where they form one. */
export const EVENT_TYPES = [
  'delivered',
  'open',
  'click',
  'view',
  'add_to_cart',
  'purchase',
  'unsubscribe',
  'bounce',
] as const;

/** An engagement event type. */
export type EventType = (typeof EVENT_TYPES)[number];

/** Channels an event can come from. */
export const CHANNELS = ['email', 'sms', 'push', 'web', 'app', 'ad'] as const;

/** A channel. */
export type Channel = (typeof CHANNELS)[number];

/** Limits of one event and of a batch. */
export const EVENT_LIMITS = {
  /** Events in one `POST /events` batch. */
  maxBatchEvents: 500,
  /** Bytes of one batch body. */
  maxBatchBytes: 1024 * 1024,
  /** Bytes of an event's `props`, as JSON. */
  maxPropsBytes: 2048,
  /** Keys in `props`. */
  maxPropsKeys: 32,
  /** How far in the future `ts` may be (clock skew), in ms. */
  maxFutureMs: 5 * 60 * 1000,
  /**
   * How many UTC days back an event's day may be (today counts as 0). The
   * nightly job keeps each customer's last 90 days (`PROFILE_WINDOW_DAYS`)
   * and cannot apply a day older than that to a profile; 89 keeps every
   * accepted event inside it, so an accepted event is always counted.
   */
  maxAgeDays: 89,
} as const;

/** A customer id as it appears in events and paths. */
export const CustomerId = Id('your customer id');

/**
 * A number DynamoDB (through the SDK's marshalling) stores as it is: finite,
 * at most `Number.MAX_SAFE_INTEGER` in magnitude (larger ones need BigInt),
 * and 0 or at least 1e-130 (DynamoDB's smallest magnitude). JavaScript
 * numbers have at most 17 significant digits, within DynamoDB's 38.
 */
export const StorableNumber = z
  .number({ error: 'must be a number' })
  .refine(Number.isFinite, { error: 'must be a finite number' })
  .refine((n) => Math.abs(n) <= Number.MAX_SAFE_INTEGER, {
    error: `must be at most ${Number.MAX_SAFE_INTEGER} in magnitude`,
  })
  .refine((n) => n === 0 || Math.abs(n) >= 1e-130, {
    error: 'must be 0 or at least 1e-130 in magnitude',
  });

/** The largest purchase `value` accepted (sums over a customer's window stay exact). */
export const MAX_EVENT_VALUE = 1e9;

const PropValue = z.union([z.string().max(256), StorableNumber, z.boolean()]);

/**
 * One engagement event as clients send it. Strict: unknown fields are
 * rejected so a typo (`customerID`) is an error, not silently lost data.
 */
export const EngagementEvent = z.strictObject({
  eventId: Id('client-generated, unique per event; resending the same id is deduplicated'),
  customerId: CustomerId,
  type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
  ts: z.iso.datetime({
    offset: true,
    error: 'must be an ISO-8601 timestamp with a zone, e.g. 2026-11-23T10:15:00Z',
  }),
  channel: z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')}` }).optional(),
  campaignId: Id('campaign id').optional(),
  variantId: Id('copy variant id, as returned by POST /generate').optional(),
  itemId: Id('catalog item id').optional(),
  value: StorableNumber.refine((v) => v >= 0 && v <= MAX_EVENT_VALUE, {
    error: `must be a purchase amount from 0 to ${MAX_EVENT_VALUE}`,
  }).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code such as EUR or USD' })
    .optional(),
  props: z
    .record(Id('props key'), PropValue)
    .refine((p) => Object.keys(p).length <= EVENT_LIMITS.maxPropsKeys, {
      error: `must have at most ${EVENT_LIMITS.maxPropsKeys} keys`,
    })
    .refine((p) => Buffer.byteLength(JSON.stringify(p)) <= EVENT_LIMITS.maxPropsBytes, {
      error: `must be at most ${EVENT_LIMITS.maxPropsBytes} bytes as JSON (a small flat map of strings, numbers, booleans)`,
    })
    .optional(),
});

/** A valid event as sent by a client. */
export type EngagementEvent = z.output<typeof EngagementEvent>;

/** When an event is judged: the current time and how long events are kept. */
export interface EventClock {
  now: Date;
  retentionDays: number;
  /** Shards the events are written in (default 16). */
  shards?: number;
}

/** The result of validating one event. */
export type EventCheck =
  | { ok: true; event: EngagementEvent }
  | { ok: false; issues: FieldIssue[]; eventId?: string };

/**
 * Validates one event: the schema, then `ts` against the clock (at most
 * 5 minutes ahead, not older than the retention period, which the store
 * would expire at once).
 *
 * @example
 * ```ts
 * const check = checkEvent(json, { now: new Date(), retentionDays: 400 });
 * if (check.ok) store(check.event);
 * ```
 */
export function checkEvent(value: unknown, clock: EventClock): EventCheck {
  const parsed = EngagementEvent.safeParse(value);
  const eventId =
    typeof (value as { eventId?: unknown } | null)?.eventId === 'string'
      ? ((value as { eventId: string }).eventId as string)
      : undefined;
  if (!parsed.success) {
    return { ok: false, issues: toFieldIssues(parsed.error), ...(eventId ? { eventId } : {}) };
  }
  const rawProps = (value as { props?: unknown }).props;
  if (rawProps && typeof rawProps === 'object' && Object.hasOwn(rawProps, '__proto__')) {
    // zod (like most JavaScript) silently drops this key: refuse it rather than lose it.
    return {
      ok: false,
      eventId: parsed.data.eventId,
      issues: [{ path: 'props.__proto__', message: 'is a reserved key; rename it' }],
    };
  }
  const at = Date.parse(parsed.data.ts);
  const now = clock.now.getTime();
  if (at > now + EVENT_LIMITS.maxFutureMs) {
    return {
      ok: false,
      eventId: parsed.data.eventId,
      issues: [
        {
          path: 'ts',
          message: `is more than 5 minutes in the future (server time ${clock.now.toISOString()}); send the time the event happened, with its zone`,
        },
      ],
    };
  }
  if (dayNumber(dayOf(parsed.data.ts)) < dayNumber(dayOf(clock.now)) - EVENT_LIMITS.maxAgeDays) {
    return {
      ok: false,
      eventId: parsed.data.eventId,
      issues: [
        {
          path: 'ts',
          message: `is more than ${EVENT_LIMITS.maxAgeDays} days before today (${dayOf(clock.now)}, UTC): the nightly job keeps a 90-day window per customer and could not count it; send events within ${EVENT_LIMITS.maxAgeDays} days`,
        },
      ],
    };
  }
  if (at < now - clock.retentionDays * DAY_MS) {
    return {
      ok: false,
      eventId: parsed.data.eventId,
      issues: [
        {
          path: 'ts',
          message: `is older than the ${clock.retentionDays}-day retention period; such events would expire at once`,
        },
      ],
    };
  }
  return { ok: true, event: parsed.data };
}

/** A `POST /events` body as the API describes it: 1 to {@link EVENT_LIMITS}.maxBatchEvents events. */
export const EventBatch = z.array(EngagementEvent).min(1).max(EVENT_LIMITS.maxBatchEvents);
