import { describe, expect, it } from 'vitest';
import { addDays } from '#lib/days.ts';
import type { EngagementEvent } from '#lib/events/schema.ts';
import {
  ATTRIBUTION_WINDOW_DAYS,
  addToMessageFunnel,
  attribute,
  byVariant,
  emptyMessageFunnel,
  MAX_MESSAGES_PER_DAY,
  MESSAGE_KEEP_DAYS,
} from '#lib/insights/attribution.ts';
import { mapEvents, mergePartials } from '#lib/insights/partial.ts';
import { applyDay, type ProfileState } from '#lib/insights/profiles.ts';

const start = '2026-11-01';
const pad = (x: number) => String(x).padStart(2, '0');
let n = 0;
const event = (
  type: EngagementEvent['type'],
  day: string,
  time: string,
  variantId = 'camp-a',
  extra: Partial<EngagementEvent> = {},
): EngagementEvent => ({
  eventId: `e${n++}`,
  customerId: 'c1',
  type,
  ts: `${day}T${time}Z`,
  campaignId: 'camp',
  variantId,
  ...extra,
});

/** A customer's profile state after applying each day's events in turn. */
function stateOf(events: EngagementEvent[]): ProfileState {
  const byDay = new Map<string, EngagementEvent[]>();
  for (const e of events)
    byDay.set(e.ts.slice(0, 10), [...(byDay.get(e.ts.slice(0, 10)) ?? []), e]);
  let state: ProfileState | undefined;
  for (const day of [...byDay.keys()].sort()) {
    state = applyDay(state, 'c1', day, mapEvents(byDay.get(day) ?? []).customers.c1);
  }
  return state as ProfileState;
}

describe('attribution', () => {
  it('credits an open two days later to its delivery, on the day of the open', () => {
    const state = stateOf([
      event('delivered', start, '09:00:00'),
      event('open', addDays(start, 2), '08:00:00'),
    ]);

    const credited = attribute(state.days, addDays(start, 2), addDays(start, 2));

    expect(credited).toEqual([
      {
        key: 'camp|camp-a',
        type: 'open',
        deliveryDay: start,
        responseDay: addDays(start, 2),
        cents: 0,
      },
    ]);
  });

  it('credits nothing outside the window, before the delivery or to another variant', () => {
    const late = addDays(start, ATTRIBUTION_WINDOW_DAYS + 1);
    const state = stateOf([
      event('open', start, '08:00:00'),
      event('delivered', start, '09:00:00'),
      event('click', start, '10:00:00', 'camp-b'),
      event('open', late, '09:00:01'),
    ]);

    expect(attribute(state.days, start, late)).toEqual([]);
  });

  it('counts one open per delivery however often it is opened, and one per delivery when there are two', () => {
    const next = addDays(start, 1);
    const state = stateOf([
      event('delivered', start, '09:00:00'),
      event('open', start, '10:00:00'),
      event('open', start, '11:00:00'),
      event('open', next, '08:00:00'),
      event('delivered', next, '09:00:00'),
      event('open', next, '10:00:00'),
      event('purchase', next, '10:30:00', 'camp-a', { value: 12.5, itemId: 'i1' }),
    ]);

    const counts = byVariant(attribute(state.days, start, next));

    expect(counts['camp|camp-a']).toEqual({
      opens: 2,
      clicks: 0,
      conversions: 1,
      revenueCents: 1250,
    });
  });

  it('credits a response stamped with the time of its delivery', () => {
    const state = stateOf([
      event('open', start, '09:00:00'),
      event('delivered', start, '09:00:00'),
    ]);

    expect(attribute(state.days, start, start)).toHaveLength(1);
  });

  it('builds the message funnel of the window from deliveries of the window only', () => {
    const day = addDays(start, 10);
    const state = stateOf([
      event('delivered', start, '09:00:00'),
      event('delivered', addDays(day, -ATTRIBUTION_WINDOW_DAYS), '09:00:00'),
      event('delivered', addDays(day, -3), '09:00:00'),
      event('open', addDays(day, -1), '09:00:00'),
      event('click', addDays(day, -1), '09:05:00'),
      event('delivered', day, '09:00:00'),
    ]);
    const funnel = emptyMessageFunnel(day);

    addToMessageFunnel(funnel, state.days, day);

    expect(funnel).toEqual({
      since: addDays(day, 1 - ATTRIBUTION_WINDOW_DAYS),
      delivered: 2,
      opens: 1,
      clicks: 1,
      conversions: 0,
      revenueCents: 0,
    });
  });

  it('keeps messages in one order whatever order the events came in, bounded per day', () => {
    const events = Array.from({ length: MAX_MESSAGES_PER_DAY + 5 }, (_, i) =>
      event('delivered', start, `09:${pad(Math.floor(i / 60))}:${pad(i % 60)}`),
    );
    const half = Math.floor(events.length / 2);

    const whole = mapEvents(events).customers.c1?.messages;
    const merged = mergePartials(mapEvents(events.slice(half)), mapEvents(events.slice(0, half)))
      .customers.c1?.messages;

    expect(whole).toHaveLength(MAX_MESSAGES_PER_DAY);
    expect(merged).toEqual(whole);
  });

  it('drops messages older than the days attribution needs and keeps the day counts', () => {
    const day = addDays(start, MESSAGE_KEEP_DAYS);
    const state = stateOf([event('delivered', start, '09:00:00'), event('view', day, '09:00:00')]);

    expect(state.days[start]?.messages).toBeUndefined();
    expect(state.days[start]?.counts.delivered).toBe(1);
  });
});

describe('attribution by variant id alone', () => {
  it('credits a response naming only the variant to the latest delivery of that variant and its campaign', () => {
    const sent = event('delivered', start, '09:00:00');
    const opened = event('open', addDays(start, 1), '08:00:00', 'camp-a', {
      campaignId: undefined,
    });
    const other = event('click', addDays(start, 1), '09:00:00', 'camp-b', {
      campaignId: undefined,
    });
    const state = stateOf([sent, opened, other]);

    const credited = attribute(state.days, start, addDays(start, 1));

    expect(credited).toEqual([
      expect.objectContaining({ key: 'camp|camp-a', type: 'open', deliveryDay: start }),
    ]);
  });

  it('counts one open per delivery whether the opens name the campaign or not', () => {
    const day = addDays(start, 3);
    const state = stateOf([
      event('delivered', day, '09:00:00'),
      event('open', day, '09:05:00'),
      event('open', day, '09:06:00', 'camp-a', { campaignId: undefined }),
    ]);

    expect(byVariant(attribute(state.days, day, day))['camp|camp-a']).toMatchObject({ opens: 1 });
  });

  it('keeps deliveries without a campaign id under the campaign "" and credits their responses', () => {
    const day = addDays(start, 5);
    const none = { campaignId: undefined };
    const partial = mapEvents([
      event('delivered', day, '09:00:00', 'v-solo', none),
      event('click', day, '10:00:00', 'v-solo', none),
    ]);
    const state = stateOf([
      event('delivered', day, '09:00:00', 'v-solo', none),
      event('click', day, '10:00:00', 'v-solo', none),
    ]);

    expect(partial.variants['|v-solo']).toMatchObject({ delivered: 1, clicks: 1 });
    expect(byVariant(attribute(state.days, day, day))['|v-solo']).toMatchObject({ clicks: 1 });
  });
});
