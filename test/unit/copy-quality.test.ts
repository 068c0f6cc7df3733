import { describe, expect, it } from 'vitest';
import { audienceFacts, audienceLine } from '#lib/copy/audience.ts';
import { KINDS } from '#lib/copy/kinds.ts';
import { buildPrompt } from '#lib/copy/prompt.ts';
import {
  blockedPhrases,
  coverage,
  fitTo,
  lastCompleteSentence,
  lengthFit,
  postProcess,
  rankScore,
  repetition,
  similarity,
} from '#lib/copy/quality.ts';
import { CopyRequest, type MarketingCopyRequest } from '#lib/copy/request.ts';
import {
  exemplarsFor,
  pickExemplars,
  type VariantRecord,
  variantIdOf,
} from '#lib/copy/variants.ts';
import type { CustomerSummary } from '#lib/insights/profiles.ts';

describe('post-processing', () => {
  it('keeps one line for single-line kinds, drops wrapping quotes and a final period from subjects', () => {
    expect(
      postProcess(' "Spring is here."\nSubject: next one', 'email_subject', KINDS.email_subject),
    ).toBe('Spring is here');
  });

  it('trims multi-sentence copy to its last complete sentence and stops at the next document field', () => {
    const raw = ' Light and fast. Built for   mud! And then the\nPrice: $89';

    expect(postProcess(raw, 'social', KINDS.social)).toBe('Light and fast. Built for mud!');
    expect(lastCompleteSentence('no end here')).toBeUndefined();
  });

  it('cuts to the limit at a sentence end, else at a word boundary', () => {
    expect(fitTo('One two three. Four five six seven', 20)).toBe('One two three.');
    expect(fitTo('alpha beta gamma delta', 12)).toBe('alpha beta');
    const sms = postProcess(`${'word '.repeat(60)}`, 'sms', KINDS.sms);
    expect(sms.length).toBeLessThanOrEqual(160);
  });
});

describe('scores', () => {
  it('coverage: share of distinct terms present as whole phrases, case-insensitive', () => {
    expect(
      coverage('The Trail Runner 2 is here', ['Trail Runner 2', 'mud', 'trail runner 2', 'here']),
    ).toEqual({
      score: 2 / 3,
      missing: ['mud'],
    });
    expect(coverage('trailing', ['trail']).score).toBe(0);
    expect(coverage('anything', []).score).toBe(1);
  });

  it('lengthFit: 1 from the target to the limit, proportional below, 0 above', () => {
    expect(lengthFit('x'.repeat(20), KINDS.email_subject)).toBe(0.5);
    expect(lengthFit('x'.repeat(50), KINDS.email_subject)).toBe(1);
    expect(lengthFit('x'.repeat(61), KINDS.email_subject)).toBe(0);
  });

  it('repetition: share of repeated word trigrams', () => {
    expect(repetition('buy now buy now buy now')).toBeCloseTo(1 - 2 / 4, 10);
    expect(repetition('every word here is new')).toBe(0);
  });

  it('blocklist: whole phrases only', () => {
    expect(blockedPhrases('A guaranteed win', ['guaranteed', 'win big'])).toEqual(['guaranteed']);
    expect(blockedPhrases('Curated picks', ['cure'])).toEqual([]);
  });

  it('similarity and the ranking blend', () => {
    expect(similarity('a b c', 'a b d')).toBe(0.5);
    expect(rankScore({ fluency: 0, coverage: 1, lengthFit: 1, repetition: 0 })).toBeCloseTo(1, 12);
  });
});

describe('exemplars', () => {
  const rec = (
    variantId: string,
    delivered: number,
    clickRate: number,
    conversionRate = 0,
    extra: Partial<VariantRecord> = {},
  ): VariantRecord => ({
    variantId,
    kind: 'email_subject',
    text: variantId,
    campaignId: 'c',
    delivered,
    clickRate,
    clickInterval: [clickRate * 0.8, clickRate * 1.2],
    conversionRate,
    evidence: 'won',
    ...extra,
  });

  it('keeps only variants with evidence, best click rate first, then conversion rate', () => {
    const picked = pickExemplars(
      [
        rec('lost', 5000, 0.5, 0, { evidence: undefined }),
        rec('b', 300, 0.05, 0.01),
        rec('a', 300, 0.05, 0.02, { evidence: 'beat-baseline' }),
        rec('c', 1000, 0.08),
        { ...rec('sms', 900, 0.9), kind: 'sms' },
      ],
      'email_subject',
    );

    expect(picked.map((r) => r.variantId)).toEqual(['c', 'a', 'b']);
  });

  it('keeps the best of each category as well as of the kind, and quotes the product category first', () => {
    const kindWide = Array.from({ length: 6 }, (_, i) => rec(`top-${i}`, 500, 0.5 - i * 0.01));
    const boots = [rec('boots-1', 400, 0.1, 0, { category: 'Footwear' })];
    const picked = pickExemplars([...kindWide, ...boots], 'email_subject');

    expect(picked.map((r) => r.variantId)).toEqual([
      'top-0',
      'top-1',
      'top-2',
      'top-3',
      'top-4',
      'boots-1',
    ]);
    expect(exemplarsFor(picked, 'footwear', 2).map((r) => r.variantId)).toEqual(['boots-1']);
    expect(exemplarsFor(picked, 'Kitchen', 2).map((r) => r.variantId)).toEqual(['top-0', 'top-1']);
    expect(exemplarsFor(picked, undefined, 2).map((r) => r.variantId)).toEqual(['top-0', 'top-1']);
  });

  it('gives a variant a stable id from its text and the model weights', () => {
    expect(variantIdOf('Hi', 'sha-a')).toBe(variantIdOf('Hi', 'sha-a'));
    expect(variantIdOf('Hi', 'sha-a')).not.toBe(variantIdOf('Hi', 'sha-b'));
    expect(variantIdOf('Hi', 'sha-a')).toMatch(/^v-[0-9a-f]{20}$/);
  });
});

describe('prompts and personalisation', () => {
  const request = CopyRequest.parse({
    kind: 'sms',
    product: { name: 'Ridge Tent', price: 200, features: ['2-person'] },
    tone: 'warm',
  }) as MarketingCopyRequest;

  it('writes the product facts into a document that ends where the copy starts', () => {
    expect(buildPrompt(request, { exemplars: [] })).toBe(
      'SMS CAMPAIGN\nProduct: Ridge Tent ($200)\nFeatures: 2-person\nTone: warm\n\nSMS:',
    );
  });

  it('writes the audience from profile facts: categories by views + 3 × purchases, titles, level, channel', () => {
    const summary = {
      engagement: 30,
      preferredChannel: 'sms',
      topItems: [
        { itemId: 'mug', views: 4, purchases: 0 },
        { itemId: 'tent', views: 1, purchases: 1 },
        { itemId: 'gone', views: 9, purchases: 0 },
      ],
    } as unknown as CustomerSummary;
    const catalog = new Map([
      [
        'mug',
        {
          id: 'mug',
          title: 'Camp Mug',
          category: 'Kitchen',
          description: '',
          price: 9,
          tags: [],
          available: true,
        },
      ],
      [
        'tent',
        {
          id: 'tent',
          title: 'Ridge Tent',
          category: 'Outdoor',
          description: '',
          price: 200,
          tags: [],
          available: true,
        },
      ],
    ]);

    const facts = audienceFacts(summary, catalog);

    expect(facts).toEqual({
      topCategories: ['Kitchen', 'Outdoor'],
      recentItems: ['Camp Mug', 'Ridge Tent'],
      engagement: 'occasionally engaged',
      preferredChannel: 'sms',
    });
    expect(audienceLine(facts)).toBe(
      'an occasionally engaged shopper, who loves Kitchen and Outdoor, recently looked at Camp Mug and Ridge Tent, prefers sms',
    );
  });
});
