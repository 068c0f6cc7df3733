import { describe, expect, it } from 'vitest';
import { inventedFacts } from '#lib/copy/support.ts';

const inputs = [
  'Hi, my order #4417 has not arrived. I paid $89.00 on March 3.',
  'Order 4417 shipped by UPS, tracking https://track.example.com/4417',
  'Returns are free within 30 days; write to help@shop.example.com',
  'Reference ORD-A77, total 1,299 points, delivery window 10:30-12:00',
];

describe('inventedFacts: what a support reply states that no input holds', () => {
  it.each([
    ['Your order 4417 is on its way.', []],
    ['Your order #4417 is on its way.', []],
    ['You paid $89 and we will refund $89.00.', []],
    ['Returns are free for 30 days.', []],
    ['It shipped on March 3rd.', []],
    ['Track it at https://track.example.com/4417.', []],
    ['Write to help@shop.example.com any time.', []],
    ['Your reference is ORD-A77 and you have 1299 points.', []],
    ['We may be able to help; how can I help today?', []],
    ['Your order 4418 is on its way.', ['4418']],
    ['We will refund $95.', ['$95']],
    ['Returns are free for 60 days.', ['60']],
    ['It will arrive on Friday.', ['Friday']],
    ['It will arrive tomorrow.', ['tomorrow']],
    ['It shipped on April 3.', ['April']],
    ['It ships on May 4.', ['May', '4']],
    ['It ships on 12/03.', ['12/03']],
    ['See https://evil.example.net/x for details.', ['https://evil.example.net/x']],
    ['Visit shop.example.com for more.', ['shop.example.com']],
    ['Mail refunds@shop.example.com today.', ['refunds@shop.example.com']],
    ['Your reference is ORD-A78.', ['ORD-A78']],
    ['Your order ORD-4417 is here.', ['ORD-4417']],
    ['Ticket 77 is closed.', []],
    ['We give 15% off.', ['15%']],
  ])('%s → %j', (reply, expected) => {
    expect(inventedFacts(reply, inputs)).toEqual(expected);
  });

  it('holds no fact of its own inputs invented, whatever they are', () => {
    for (const text of inputs) expect(inventedFacts(text, inputs)).toEqual([]);
  });

  it('finds every number when there are no inputs', () => {
    expect(inventedFacts('Call 555-0100 or visit in 2 days, before 1e200.', [])).toEqual([
      '555-0100',
      '2',
      '1e200',
    ]);
  });

  it('reads hostile inputs in linear time: runs of letters, dashes or dots without a fact', () => {
    for (const run of [
      'a'.repeat(4000),
      'a-'.repeat(2000),
      'a.'.repeat(2000),
      'aa.'.repeat(1333),
    ]) {
      const t0 = performance.now();
      expect(inventedFacts(run.slice(0, 1000), [run, run])).toEqual([]);
      // Quadratic matching took ~100 ms for 4,000 characters; linear takes a few.
      expect(performance.now() - t0).toBeLessThan(50);
    }
  });

  it('finds facts glued to punctuation or letters', () => {
    expect(inventedFacts('price:$26, total:1,300 (ORD-A78) US$30', ['price $25'])).toEqual([
      '$26',
      '1,300',
      'ORD-A78',
      '30',
    ]);
  });
});
