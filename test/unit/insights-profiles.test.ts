import { describe, expect, it } from 'vitest';
import type { EngagementEvent } from '#lib/events/schema.ts';
import { type CustomerDay, mapEvents } from '#lib/insights/partial.ts';
import { applyDay, type ProfileState, summarize, withRfm } from '#lib/insights/profiles.ts';

let n = 0;
const ev = (
  customerId: string,
  type: EngagementEvent['type'],
  ts: string,
  extra: Partial<EngagementEvent> = {},
) => ({ eventId: `e${n++}`, customerId, type, ts, ...extra }) as EngagementEvent;
const dayOf = (events: EngagementEvent[], customerId = 'c1') =>
  mapEvents(events).customers[customerId] as CustomerDay;

/** Applies days in order; returns the state. */
function build(customerId: string, days: Array<[string, EngagementEvent[]]>): ProfileState {
  let state: ProfileState | undefined;
  for (const [day, events] of days)
    state = applyDay(state, customerId, day, dayOf(events, customerId));
  return state as ProfileState;
}

describe('profile state across nights', () => {
  const monday = [
    ev('c1', 'delivered', '2026-11-16T09:00:00Z', { channel: 'email' }),
    ev('c1', 'open', '2026-11-16T19:10:00Z', { channel: 'email' }),
    ev('c1', 'purchase', '2026-11-16T19:30:00Z', { channel: 'web', itemId: 'i1', value: 25 }),
  ];

  it('applies the same day twice as once', () => {
    const once = applyDay(undefined, 'c1', '2026-11-16', dayOf(monday));

    expect(applyDay(once, 'c1', '2026-11-16', dayOf(monday))).toEqual(once);
  });

  it('adds only the difference when a day is re-run with a late event', () => {
    const first = applyDay(undefined, 'c1', '2026-11-16', dayOf(monday));
    const late = [
      ...monday,
      ev('c1', 'purchase', '2026-11-16T23:00:00Z', { itemId: 'i2', value: 10 }),
    ];

    const rerun = applyDay(first, 'c1', '2026-11-16', dayOf(late));

    expect(rerun.lifetime).toMatchObject({
      revenueCents: 3500,
      activeDays: 1,
      counts: { purchase: 2, open: 1, delivered: 1 },
    });
  });

  it('drops days older than 90 days from the window but keeps them in lifetime, and refuses to re-apply them', () => {
    const old = applyDay(
      undefined,
      'c1',
      '2026-06-01',
      dayOf([ev('c1', 'purchase', '2026-06-01T10:00:00Z', { value: 5 })]),
    );

    const now = applyDay(old, 'c1', '2026-11-16', dayOf(monday));

    expect(Object.keys(now.days)).toEqual(['2026-11-16']);
    expect(now.lifetime).toMatchObject({
      revenueCents: 3000,
      activeDays: 2,
      firstTs: '2026-06-01T10:00:00Z',
    });
    expect(() => applyDay(now, 'c1', '2026-06-01', undefined)).toThrow(
      /outside the profile window/,
    );
  });
});

describe('customer summary', () => {
  it('computes windows, rates with sample sizes, recency, churn, send time and the text from the numbers', () => {
    const state = build('c1', [
      [
        '2026-11-02',
        [
          ev('c1', 'delivered', '2026-11-02T09:00:00Z', { channel: 'email' }),
          ev('c1', 'view', '2026-11-02T20:00:00Z', { channel: 'web', itemId: 'i1' }),
        ],
      ],
      [
        '2026-11-09',
        [
          ev('c1', 'delivered', '2026-11-09T09:00:00Z', { channel: 'email' }),
          ev('c1', 'open', '2026-11-09T19:05:00Z', { channel: 'email' }),
        ],
      ],
      [
        '2026-11-16',
        [
          ev('c1', 'delivered', '2026-11-16T09:00:00Z', { channel: 'email' }),
          ev('c1', 'open', '2026-11-16T19:10:00Z', { channel: 'email' }),
          ev('c1', 'click', '2026-11-16T19:11:00Z', { channel: 'email' }),
          ev('c1', 'view', '2026-11-16T19:12:00Z', { channel: 'email', itemId: 'i2' }),
          ev('c1', 'purchase', '2026-11-16T19:30:00Z', {
            channel: 'email',
            itemId: 'i2',
            value: 25.5,
          }),
        ],
      ],
    ]);

    const s = summarize(state, '2026-11-20');

    expect(s.windows.d7).toMatchObject({ activeDays: 1, revenue: 25.5 });
    expect(s.windows.d30).toMatchObject({
      activeDays: 3,
      counts: { delivered: 3, open: 2, click: 1, view: 2, purchase: 1 },
    });
    expect(s.rates.open).toMatchObject({ successes: 2, trials: 3 });
    expect(s.rates.conversion).toMatchObject({ successes: 1, trials: 2, rate: 0.5 });
    expect([s.recencyDays, s.usualGapDays, s.churnRisk]).toEqual([4, 7, 'low']);
    expect([s.bestHour, s.bestWeekday, s.preferredChannel]).toEqual([19, 1, 'email']);
    expect(s.topItems[0]).toEqual({ itemId: 'i2', views: 1, purchases: 1 });
    // decayed weight: day 18 views 1·2^(-18/14); day 11 open 1·2^(-11/14); day 4 open+click+view+purchase (1+3+1+10)·2^(-4/14)
    expect(s.engagement).toBe(
      Math.round(
        100 * (1 - Math.exp(-(2 ** (-18 / 14) + 2 ** (-11 / 14) + 15 * 2 ** (-4 / 14)) / 10)),
      ),
    );
    expect(s.text).toBe(
      `Active on 3 of the last 30 days, last seen 4 days ago; engagement ${s.engagement}/100, churn risk low. ` +
        'In the last 90 days they opened 2 of 3 messages (67 %) and clicked 1, bought 1 time for 25.50. ' +
        'Most responsive around 19:00 UTC on Mondays, mostly via email.',
    );
  });

  it('works for a shop with 3 customers: RFM over that population, segment in the text', () => {
    const day = '2026-11-20';
    const summaries = withRfm([
      summarize(
        build('a', [
          [
            day,
            [
              ev('a', 'purchase', `${day}T10:00:00Z`, { value: 100 }),
              ev('a', 'purchase', `${day}T11:00:00Z`, { value: 50 }),
            ],
          ],
        ]),
        day,
      ),
      summarize(
        build('b', [['2026-09-01', [ev('b', 'view', '2026-09-01T10:00:00Z', { itemId: 'x' })]]]),
        day,
      ),
      summarize(
        build('c', [['2026-11-18', [ev('c', 'purchase', '2026-11-18T10:00:00Z', { value: 20 })]]]),
        day,
      ),
    ]);

    expect(
      summaries.map((s) => [s.customerId, s.rfm?.r, s.rfm?.f, s.rfm?.m, s.rfm?.segment]),
    ).toEqual([
      ['a', 5, 5, 5, 'champions'],
      ['b', 1, 1, 1, 'lost'],
      ['c', 3, 3, 3, 'potential'],
    ]);
    expect(summaries[0]?.text).toMatch(/segment champions\. .*bought 2 times for 150\.00/);
    expect(summaries[1]?.text).toMatch(/made no purchase/);
  });

  it('scores RFM against the window population, so a customer seen today is not "lost"', () => {
    const day = '2026-11-20';
    const today = summarize(
      build('t', [[day, [ev('t', 'view', `${day}T10:00:00Z`, { itemId: 'x' })]]]),
      day,
    );
    const population = [
      { id: 'old1', lastDay: '2026-09-01', f: 0, m: 0 },
      { id: 'old2', lastDay: '2026-10-01', f: 1, m: 20 },
      { id: 'old3', lastDay: '2026-10-20', f: 0, m: 0 },
      { id: 't', lastDay: day, f: 0, m: 0 },
    ];

    const [scored] = withRfm([today], population);

    expect(scored?.rfm?.r).toBe(5);
    expect(scored?.rfm?.segment).not.toBe('lost');
  });
});
