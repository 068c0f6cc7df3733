import { describe, expect, it } from 'vitest';
import { audienceLineZh, buildPromptZh } from '#lib/copy/promptZh.ts';
import {
  blockedPhrases,
  CLAIM_BLOCKLIST,
  containsPhrase,
  endsAtSentence,
  fitTo,
  postProcess,
  repetition,
  similarity,
} from '#lib/copy/quality.ts';
import { CopyRequest, type MarketingCopyRequest, requestSpec } from '#lib/copy/request.ts';
import { languageFit } from '#lib/model/language.ts';
import { joinCjkSpacing, phrasePattern, words } from '#lib/text.ts';

const zhRequest = (body: object) =>
  CopyRequest.parse({
    language: 'zh',
    product: { name: '山野保温杯' },
    ...body,
  }) as MarketingCopyRequest;

describe('Chinese text rules', () => {
  it('removes the spaces a WordPiece decoder puts next to Chinese, and keeps those between Latin words', () => {
    expect(joinCjkSpacing('保 温 杯 ， 买 iPhone 15 Pro 。')).toBe('保温杯，买iPhone 15 Pro。');
  });

  it('matches Chinese phrases inside text (no word boundaries) and Latin ones only as whole words', () => {
    expect(containsPhrase('这款山野保温杯很好', '保温杯')).toBe(true);
    expect(containsPhrase('买iPhone送壳', 'iphone')).toBe(true);
    expect(containsPhrase('a secure lid', 'cure')).toBe(false);
    expect(phrasePattern('保温杯', 'g').flags).toContain('u');
  });

  it('blocks absolute claims (广告法) anywhere in Chinese text, except inside the exempt product name', () => {
    expect(CLAIM_BLOCKLIST).toContain('最佳');
    expect(blockedPhrases('这是今年最佳的保温杯', CLAIM_BLOCKLIST)).toEqual(['最佳']);
    expect(blockedPhrases('最佳拍档保温杯上市', CLAIM_BLOCKLIST, ['最佳拍档保温杯'])).toEqual([]);
  });

  it('ends sentences at 。！？ with no space after them, closing quotes included', () => {
    expect(endsAtSentence('好用。保温十二小时！')).toBe(true);
    expect(endsAtSentence('他说：“真好。”')).toBe(true);
    expect(endsAtSentence('好用。保温十二')).toBe(false);
  });

  it('trims a multi-sentence Chinese kind at its last 。 and stops at the next 【field】', () => {
    const spec = requestSpec(zhRequest({ kind: 'product_description' }));
    expect(
      postProcess('轻便耐用。保温十二小时！还有【商品描述】下一个', 'product_description', spec),
    ).toBe('轻便耐用。保温十二小时！');
  });

  it('fits Chinese to a limit after a clause mark, and a subject loses 「」 and its final 。', () => {
    expect(fitTo('山野保温杯轻便耐用，保温十二小时还能装五百毫升', 14)).toBe('山野保温杯轻便耐用');
    const subject = requestSpec(zhRequest({ kind: 'email_subject' }));
    expect(postProcess('「新品上市。」', 'email_subject', subject)).toBe('新品上市');
  });

  it('measures repetition and similarity on Chinese words', () => {
    expect(words('我想买一个保温杯')).toContain('保温');
    expect(repetition('保温杯保温杯保温杯保温杯保温杯保温杯')).toBeGreaterThan(0.5);
    expect(similarity('山野保温杯今天上市', '山野保温杯今天上市')).toBe(1);
    expect(similarity('山野保温杯今天上市', '北欧台灯八五折')).toBeLessThan(0.2);
  });

  it('gives Chinese kinds Chinese limits: SMS 70 UCS-2 characters, or 67 a segment when concatenated', () => {
    expect(requestSpec(zhRequest({ kind: 'sms' }))).toMatchObject({ maxChars: 70 });
    expect(requestSpec(zhRequest({ kind: 'sms', maxSegments: 2 }))).toMatchObject({
      maxChars: 134,
    });
    expect(requestSpec(zhRequest({ kind: 'social' }))).toMatchObject({ maxChars: 140 });
  });

  it('writes a Chinese document prompt with 【】 fields, ending where the copy begins', () => {
    const prompt = buildPromptZh(
      zhRequest({
        kind: 'sms',
        product: { name: '山野保温杯', price: 199, features: ['轻便', '终身保修'] },
      }),
      { exemplars: ['你看过的厨房好物今日八五折'] },
    );
    expect(prompt).toBe(
      '短信营销方案\n【商品】山野保温杯（199元）\n【卖点】轻便、终身保修\n【效果最好的短信】你看过的厨房好物今日八五折\n【短信】',
    );
  });

  it('writes the audience line in Chinese', () => {
    expect(
      audienceLineZh({
        topCategories: ['厨房', '户外'],
        recentItems: ['山野保温杯'],
        engagement: 'highly engaged',
        preferredChannel: 'sms',
      }),
    ).toBe('非常活跃的顾客，喜欢厨房、户外，最近看过山野保温杯，偏好短信');
  });

  it('tells a tokenizer that spells Chinese byte by byte from one that writes it', () => {
    const byteLevel = {
      encode: (t: string) => [...new TextEncoder().encode(t)],
      decode: (ids: number[]) => new TextDecoder().decode(new Uint8Array(ids)),
    };
    const perChar = {
      encode: (t: string) => [...t].map((c) => c.codePointAt(0) as number),
      decode: (ids: number[]) => String.fromCodePoint(...ids),
    };
    expect(languageFit(byteLevel, 'zh')).toMatchObject({ fits: false, tokensPerChar: 3 });
    expect(languageFit(perChar, 'zh')).toMatchObject({ fits: true, tokensPerChar: 1 });
  });
});
