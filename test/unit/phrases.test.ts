import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KINDS } from '#lib/copy/kinds.ts';
import { PhrasePlacer, phraseConflicts } from '#lib/copy/phrases.ts';
import { blockedPhrases, containsPhrase } from '#lib/copy/quality.ts';

/** A character tokenizer: one token per UTF-16 unit; token 0 is the end of text. */
const chars = {
  encode: (text: string) => [...text].map((c) => c.charCodeAt(0)),
  decode: (tokens: number[]) => tokens.map((t) => (t === 0 ? '' : String.fromCharCode(t))).join(''),
};

/** Runs a placer over a stream of sampled tokens, as the generate loop does. */
function run(placer: PhrasePlacer, row: number, sampled: string, maxNewTokens: number): string {
  const tokens: number[] = [];
  for (let i = 0; i < maxNewTokens; i++) {
    const drawn = i < sampled.length ? sampled.charCodeAt(i) : 0;
    const token = placer.adjust(row, tokens, drawn);
    if (token === 0) break;
    tokens.push(token);
  }
  return chars.decode(tokens);
}

const options = {
  maxNewTokens: 40,
  maxChars: 60,
  singleLine: true,
  promptEndsInSpace: false,
  eosTokenId: 0,
};

describe('mustInclude by construction', () => {
  it('opens lead rows with the first phrase and forces the rest in before the budget or the text ends', () => {
    const placer = new PhrasePlacer(chars, { ...options, phrases: ['Trail Runner', 'grip'] });

    expect(run(placer, 0, 'fast shoes for muddy days', 40)).toMatch(/^ Trail Runner.* grip/);
    // A row that would stop early (end of text) gets the phrases first.
    const stopped = run(placer, 1, 'ok', 40);
    expect(containsPhrase(stopped, 'Trail Runner') && containsPhrase(stopped, 'grip')).toBe(true);
    // A row that would start a second line gets the phrase instead of the line break.
    const lines = run(placer, 3, 'one line\nsecond line', 40);
    expect(lines.split('\n')[0]).toMatch(/Trail Runner/);
  });

  it('places every phrase within the token and character budget, for any phrases and samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z]{2,8}( [a-z]{2,8})?$/), { minLength: 1, maxLength: 3 }),
        fc.string({ maxLength: 80 }),
        fc.integer({ min: 0, max: 7 }),
        (phrases, sampled, row) => {
          const budget = phrases.join(' ').length + 12;
          const placer = new PhrasePlacer(chars, {
            ...options,
            phrases,
            maxNewTokens: budget,
            maxChars: budget,
            singleLine: false,
          });
          const clean = sampled.replaceAll(String.fromCharCode(0), '');
          const text = run(placer, row, clean, budget);
          for (const p of phrases) expect(containsPhrase(text, p), `${p} in ${text}`).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names each conflict before any generation: too long, avoided, profane, not GSM-7', () => {
    const spec = KINDS.email_subject;
    const issues = phraseConflicts(
      {
        kind: 'email_subject',
        mustInclude: ['x'.repeat(61), 'cheap deals', 'fuck yeah'],
        avoid: ['cheap'],
      },
      spec,
    );

    expect(issues.map((i) => i.path.join('.'))).toEqual([
      'mustInclude.0',
      'avoid.0',
      'mustInclude.2',
      'mustInclude',
    ]);
    expect(issues[1]?.message).toMatch(
      /"cheap" is avoided but mustInclude "cheap deals" requires it/,
    );
    expect(
      phraseConflicts({ kind: 'sms', mustInclude: ['Sale 🎉'], avoid: [] }, KINDS.sms)[0]?.message,
    ).toMatch(/GSM-7 cannot carry/);
    expect(
      phraseConflicts(
        { kind: 'sms', mustInclude: ['Sale 🎉'], avoid: [], encoding: 'ucs2' },
        KINDS.sms,
      ),
    ).toEqual([]);
  });

  it('exempts the product name and mustInclude from blocked words in their exact form only', () => {
    const list = ['miracle', 'cheap'];
    expect(blockedPhrases('Meet the Miracle Mop today', list, ['Miracle Mop'])).toEqual([]);
    expect(blockedPhrases('The Miracle Mop is a miracle', list, ['Miracle Mop'])).toEqual([
      'miracle',
    ]);
    expect(blockedPhrases('A miracle cure', list, ['Miracle Mop'])).toEqual(['miracle']);
  });
});
