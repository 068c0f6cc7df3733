import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { completeCharacters } from '#lib/copy/quality.ts';
import { fitSms, gsmSeptets, isGsm7, smsSegments, smsUnits, toGsm7 } from '#lib/copy/sms.ts';

describe('SMS encodings (GSM 03.38, UCS-2)', () => {
  it('maps look-alike punctuation and accents to GSM-7 and drops what has no GSM spelling', () => {
    expect(toGsm7('“Trail” runners – 20 % off… ‘today’')).toBe(
      '"Trail" runners - 20 % off... \'today\'',
    );
    expect(toGsm7('Crème brûlée, café, niño, Ça')).toBe('Crème brulée, café, niño, Ça');
    expect(toGsm7('Sale 🎉 漢字 now')).toBe('Sale now');
    expect(toGsm7('Price: 10 €, {deal} [1] ~ok^')).toBe('Price: 10 €, {deal} [1] ~ok^');
  });

  it('gives GSM-7 text for any input, and counts extension characters as two septets', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => {
        const gsm = toGsm7(s);
        expect(isGsm7(gsm)).toBe(true);
        expect(gsmSeptets(gsm)).toBeGreaterThanOrEqual([...gsm].length);
      }),
      { numRuns: 300 },
    );
    expect(gsmSeptets('€[]')).toBe(6);
    expect(gsmSeptets('abc')).toBe(3);
  });

  it('counts segments at 160/153 septets and 70/67 UCS-2 units', () => {
    const gsm = (n: number) => 'a'.repeat(n);
    expect([160, 161, 306, 307].map((n) => smsSegments(gsm(n), 'gsm7'))).toEqual([1, 2, 2, 3]);
    expect(smsSegments(`${gsm(159)}€`, 'gsm7')).toBe(2); // 161 septets
    expect([70, 71, 134, 135].map((n) => smsSegments(gsm(n), 'ucs2'))).toEqual([1, 2, 2, 3]);
    expect(smsUnits('😀', 'ucs2')).toBe(2); // a surrogate pair is two UCS-2 units
  });

  it('fits any text into its segments at word boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z€]{1,12}$/), { maxLength: 80 }),
        fc.constantFrom('gsm7' as const, 'ucs2' as const),
        fc.integer({ min: 1, max: 3 }),
        (words, encoding, segments) => {
          const text = words.join(' ');
          const fit = fitSms(text, encoding, segments);
          expect(smsSegments(fit, encoding)).toBeLessThanOrEqual(segments);
          expect(text.startsWith(fit)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps only complete characters of decoded text: no U+FFFD, no lone surrogate', () => {
    expect(completeCharacters('Hi \uFFFDthere\uFFFD')).toBe('Hi there');
    expect(completeCharacters('ok \uD83D')).toBe('ok ');
    expect(completeCharacters('\uDE00 ok 😀')).toBe(' ok 😀');
  });
});
