import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TextModel } from '#lib/model/textModel.ts';
import { loadTinyModel, publishTinyModel, tinyZhModelDir } from '#test/support/tinyModel.ts';
import { WORDPIECE_SPECIALS } from '#tools/model/builder/tokenizer.ts';

let zh: TextModel;
let en: TextModel;
let config: { vocab_size: number; eos_token_id: number };

beforeAll(async () => {
  [zh, en] = await Promise.all([
    loadTinyModel(await publishTinyModel('test/zh-model', 'zh'), 'muse-zh-model'),
    loadTinyModel(await publishTinyModel('test/zh-model-en'), 'muse-zh-model-en'),
  ]);
  config = JSON.parse(await readFile(join(await tinyZhModelDir(), 'config.json'), 'utf8'));
});

describe('a Chinese WordPiece GPT-2 (tiny, random weights) through Muse’s loader', () => {
  it('takes its vocabulary and end-of-text from its own files: [SEP], though config.json keeps GPT2Config’s 50256', () => {
    expect(config.vocab_size).toBeLessThan(2000);
    expect(config.eos_token_id).toBe(50256);
    expect(zh.eosTokenId).toBe(WORDPIECE_SPECIALS.sep);
    expect(en.eosTokenId).toBe(50256);
  });

  it('opens a prompt with [CLS], as the tokenizer’s template does, and a GPT-2 prompt with nothing', () => {
    expect(zh.encodePrompt('保温杯')).toEqual([WORDPIECE_SPECIALS.cls, ...zh.encode('保温杯')]);
    expect(en.encodePrompt('Hello world')).toEqual([15496, 995]);
  });

  it('writes one token per Chinese character and decodes without the spaces WordPiece puts between them', () => {
    const text = '山野保温杯：轻便、终身保修。买iPhone 15';
    const tokens = zh.encode(text);
    expect(zh.encode('保温杯')).toHaveLength(3);
    expect(zh.decode(tokens)).toBe(text);
  });

  it('knows which languages each tokenizer writes', () => {
    expect(zh.languageFit('zh')).toMatchObject({ fits: true, tokensPerChar: 1, unknownTokens: 0 });
    expect(zh.languageFit('en').fits).toBe(false);
    expect(en.languageFit('en').fits).toBe(true);
    const gpt2OnChinese = en.languageFit('zh');
    expect(gpt2OnChinese.fits).toBe(false);
    expect(gpt2OnChinese.tokensPerChar).toBeGreaterThan(1.2);
  });

  it('samples Chinese text within its vocabulary, the same for the same seed', async () => {
    const run = () =>
      zh.generate(zh.encodePrompt('【短信】'), {
        n: 2,
        maxNewTokens: 12,
        temperature: 0.9,
        topK: 50,
        topP: 0.95,
        seed: 7,
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.sequences.map((s) => s.tokens)).toEqual(b.sequences.map((s) => s.tokens));
    for (const s of a.sequences) {
      expect(s.tokens.every((t) => t >= 0 && t < config.vocab_size)).toBe(true);
      expect(zh.decode(s.tokens)).not.toMatch(/\p{sc=Han} \p{sc=Han}/u);
    }
  });
});
