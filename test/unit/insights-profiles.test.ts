import { describe, expect, it } from 'vitest';
import { addDays } from '#lib/days.ts';
import type { EngagementEvent } from '#lib/events/schema.ts';
import { assessBase } from '#lib/insights/base.ts';
import { type CustomerDay, mapEvents } from '#lib/insights/partial.ts';
import {
  applyDay,
  type ProfileState,
  rfmInputAt,
  rfmInputOf,
  rfmScorer,
  summarize,
} from '#lib/insights/profiles.ts';

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

const must = <T>(value: T | undefined): T => {
  if (value === undefined) throw new Error('expected a value');
  return value;
};

describe('customer summary', () => {
  const history = (): ProfileState =>
    build('c1', [
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

  it('computes windows, rates with sample sizes, recency, churn and the text from the numbers', () => {
    const s = must(summarize(history(), '2026-11-20'));

    expect(s.windows.d7).toMatchObject({ activeDays: 1, revenue: 25.5, purchaseDays: 1 });
    expect(s.windows.d30).toMatchObject({
      activeDays: 3,
      counts: { delivered: 3, open: 2, click: 1, view: 2, purchase: 1 },
    });
    expect(s.rates.open).toMatchObject({ successes: 2, trials: 3 });
    expect(s.rates.conversion).toMatchObject({ successes: 1, trials: 2, rate: 0.5 });
    expect([s.recencyDays, s.usualGapDays, s.churnRisk]).toEqual([4, 7, 'low']);
    expect(s.preferredChannel).toBe('email');
    expect(s.topItems[0]).toEqual({ itemId: 'i2', views: 1, purchases: 1 });
    // decayed weight: day 18 view 1·2^(-18/14); day 11 open 1·2^(-11/14); day 4 open+click+view+purchase (1+3+1+10)·2^(-4/14)
    const weight = 2 ** (-18 / 14) + 2 ** (-11 / 14) + 15 * 2 ** (-4 / 14);
    expect(s.engagement).toBe(Math.round((100 * Math.log1p(weight)) / Math.log1p(500)));
    expect(s.text).toBe(
      `Active on 3 of the last 30 days, last seen 4 days ago; engagement ${s.engagement}/100, churn risk low. ` +
        'In the last 90 days they opened 2 of 3 messages (67 %) and clicked 1, bought 1 time on 1 day for 25.50. ' +
        'Mostly via email.',
    );
  });

  it('gives no best send time from fewer than 5 opens and clicks', () => {
    const s = must(summarize(history(), '2026-11-20'));

    expect(s.bestSendTime).toBeUndefined();
    expect(s.text).not.toMatch(/responsive/);
  });

  it('gives the best send time with its sample size from 5 opens and clicks', () => {
    const opens = ['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23'].map(
      (d) =>
        [d, [ev('c1', 'open', `${d}T19:05:00Z`), ev('c1', 'click', `${d}T19:06:00Z`)]] as [
          string,
          EngagementEvent[],
        ],
    );

    const s = must(summarize(build('c1', opens), '2026-11-24'));

    expect(s.bestSendTime).toEqual({ hourUtc: 19, weekday: 1, n: 8 });
    expect(s.text).toMatch(
      /most responsive around 19:00 UTC and on Mondays \(from 8 opens and clicks\)/i,
    );
  });

  it('ages a customer who stopped coming: as of 30 days later every time-relative field has moved', () => {
    const state = history();

    const later = must(summarize(state, '2026-12-16'));

    expect(later.asOf).toBe('2026-12-16');
    expect(later.recencyDays).toBe(30);
    expect(later.churnRisk).toBe('high');
    expect(later.windows.d7.activeDays).toBe(0);
    expect(later.windows.d30.activeDays).toBe(0);
    expect(later.windows.d90.activeDays).toBe(3);
    expect(later.engagement).toBeLessThan(must(summarize(state, '2026-11-20')).engagement);
    expect(later.text).toMatch(/last seen 30 days ago/);
  });

  it('describes a past day without the activity after it', () => {
    const s = must(summarize(history(), '2026-11-10'));

    expect(s.recencyDays).toBe(1);
    expect(s.lifetime).toMatchObject({
      revenue: 0,
      activeDays: 2,
      lastSeen: '2026-11-09T19:05:00Z',
    });
    expect(s.windows.d90.counts.purchase).toBeUndefined();
  });

  it('has no summary before the first day seen or beyond the recency cap', () => {
    expect(summarize(history(), '2026-11-01')).toBeUndefined();
    expect(summarize(history(), '2027-12-31')).toBeUndefined();
  });

  it('computes the same RFM inputs from a state as from its summary, on any day', () => {
    const state = history();
    for (let d = 0; d < 140; d += 3) {
      const day = addDays('2026-11-01', d);
      const summary = summarize(state, day);

      expect(rfmInputAt(state, day)).toEqual(summary ? rfmInputOf(summary) : undefined);
    }
  });
});

describe('RFM over the whole base', () => {
  const day = '2026-11-20';
  const pagesOf = (...states: ProfileState[]) =>
    (async function* () {
      yield states;
    })();

  it('works for a shop with 3 customers: segments, churn and the segment in the text', async () => {
    const a = build(
      'a',
      ['2026-10-30', '2026-11-06', '2026-11-13', '2026-11-20'].map((d) => [
        d,
        [ev('a', 'purchase', `${d}T10:00:00Z`, { value: 50 })],
      ]),
    );
    const b = build('b', [
      ['2026-09-01', [ev('b', 'view', '2026-09-01T10:00:00Z', { itemId: 'x' })]],
    ]);
    const c = build('c', [
      ['2026-11-18', [ev('c', 'purchase', '2026-11-18T10:00:00Z', { value: 20 })]],
    ]);

    const base = await assessBase(() => pagesOf(a, b, c), day);

    expect(base.summaries.map((s) => [s.customerId, s.rfm?.segment, s.churnRisk])).toEqual([
      ['a', 'champions', 'low'],
      ['b', 'lost', 'high'],
      ['c', 'new', 'low'],
    ]);
    expect(base.counts).toMatchObject({
      customers: 3,
      segments: { champions: 1, lost: 1, new: 1 },
      churnRisk: { low: 2, high: 1 },
    });
    expect(base.summaries[0]?.text).toMatch(
      /segment champions\. .*bought 4 times on 4 days for 200\.00/,
    );
  });

  it('never makes a one-purchase customer a champion, however few others bought', async () => {
    const idle = Array.from({ length: 20 }, (_, i) =>
      build(`idle${i}`, [[day, [ev(`idle${i}`, 'view', `${day}T10:00:00Z`, { itemId: 'x' })]]]),
    );
    const once = build('once', [
      ['2026-10-01', [ev('once', 'view', '2026-10-01T10:00:00Z', { itemId: 'x' })]],
      [day, [ev('once', 'purchase', `${day}T10:00:00Z`, { value: 500 })]],
    ]);

    const base = await assessBase(() => pagesOf(...idle, once), day);
    const scored = base.summaries.find((s) => s.customerId === 'once');

    expect(scored?.rfm?.f).toBe(5);
    expect(scored?.rfm?.segment).not.toBe('champions');
  });

  it('counts who entered at risk and who came back since the day and the week before', async () => {
    const days = (id: string, list: string[]) =>
      build(
        id,
        list.map((d) => [d, [ev(id, 'purchase', `${d}T10:00:00Z`, { value: 10 })]]),
      );
    // Bought every 2 days until the 13th: 7 days (3.5 gaps) away on the 20th is at risk, 6 on the 19th is not.
    const slipping = days('slip', [
      '2026-11-05',
      '2026-11-07',
      '2026-11-09',
      '2026-11-11',
      '2026-11-13',
    ]);
    // Lost for weeks, back on the 20th.
    const back = days('back', ['2026-09-20', '2026-09-22', day]);

    const base = await assessBase(() => pagesOf(slipping, back), day);
    const segment = (id: string) => base.summaries.find((s) => s.customerId === id)?.rfm?.segment;

    expect(segment('slip')).toBe('at_risk');
    expect(base.counts.movement.day).toMatchObject({
      since: '2026-11-19',
      enteredAtRisk: 1,
      cameBack: 1,
    });
    expect(base.counts.movement.week.cameBack).toBe(1);
  });

  it('leaves out excluded customers (pending erasures)', async () => {
    const c = build('c', [[day, [ev('c', 'view', `${day}T10:00:00Z`, { itemId: 'x' })]]]);

    const base = await assessBase(() => pagesOf(c), day, new Set(['c']));

    expect(base.counts.customers).toBe(0);
  });

  it('serves a summary scored against stored scales exactly as the night scored it', async () => {
    const a = build('a', [[day, [ev('a', 'purchase', `${day}T10:00:00Z`, { value: 50 })]]]);
    const b = build('b', [
      ['2026-11-10', [ev('b', 'view', '2026-11-10T10:00:00Z', { itemId: 'x' })]],
    ]);

    const base = await assessBase(() => pagesOf(a, b), day);
    const scales = JSON.parse(JSON.stringify(base.scales));

    expect(summarize(a, day, rfmScorer(scales))).toEqual(base.summaries[0]);
  });
});
